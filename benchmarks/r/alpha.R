# psych::alpha with 1000 bootstrap draws (n.iter) on the prepared items (reverse-keyed items already reversed).
# Usage: Rscript alpha.R data=items.csv n_iter=1000 budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(psych))
args <- bench_args()
x <- read.csv(args$data)
bench_run(function() psych::alpha(x, n.iter = as.integer(args$n_iter)), args, "psych")
