# The invariance ladder with lavaan: configural, metric (loadings), scalar (+ intercepts), strict (+ residuals)
# fits by group, with their fit measures and the chi-square difference tests (lavTestLRT).
# Usage: Rscript invariance.R data=data.csv model=model.lav group=gender budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(lavaan))
args <- bench_args()
x <- read.csv(args$data)
model <- bench_read_model(args$model)
equal <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
              strict = c("loadings", "intercepts", "residuals"))
ladder <- function() {
  fits <- lapply(equal, function(e) lavaan::cfa(model, data = x, group = args$group, group.equal = e))
  list(lapply(fits, fitMeasures), do.call(lavTestLRT, unname(fits)))
}
bench_run(ladder, args, "lavaan")
