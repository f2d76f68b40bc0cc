# psych::polychoric of the prepared items (two-step estimator, global thresholds).
# Usage: Rscript polychoric.R data=items.csv budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(psych))
args <- bench_args()
x <- read.csv(args$data)
bench_run(function() psych::polychoric(x), args, "psych")
