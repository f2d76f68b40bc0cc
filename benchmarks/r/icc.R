# psych::ICC (its default lmer = TRUE variance components, as a user calls it) on wide ratings (targets x raters).
# Usage: Rscript icc.R data=ratings.csv budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(psych))
args <- bench_args()
x <- read.csv(args$data)
bench_run(function() psych::ICC(x), args, c("psych", "lme4"))
