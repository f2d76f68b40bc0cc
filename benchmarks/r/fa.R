# psych::fa: minres, oblimin (GPArotation) with n_factors factors on the prepared items.
# Usage: Rscript fa.R data=items.csv n_factors=5 budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages({library(psych); library(GPArotation)})
args <- bench_args()
x <- read.csv(args$data)
bench_run(function() psych::fa(x, nfactors = as.integer(args$n_factors), fm = "minres", rotate = "oblimin"),
          args, c("psych", "GPArotation"))
