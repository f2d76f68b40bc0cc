# psych::fa.parallel (factors and components, simulated and resampled data) with n_iter iterations.
# Usage: Rscript fa_parallel.R data=items.csv n_iter=20 budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(psych))
args <- bench_args()
x <- read.csv(args$data)
bench_run(function() psych::fa.parallel(x, n.iter = as.integer(args$n_iter), fa = "both", plot = FALSE),
          args, "psych")
