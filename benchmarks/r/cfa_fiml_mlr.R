# lavaan::cfa with missing = "fiml" and estimator = "MLR" (casewise likelihood, EM saturated model, sandwich SEs,
# Yuan-Bentler scaled test) of the model in model=FILE, with what our CFAResult holds: fit measures and the
# standardized solution.
# Usage: Rscript cfa_fiml_mlr.R data=data.csv model=model.lav budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(lavaan))
args <- bench_args()
x <- read.csv(args$data)
model <- bench_read_model(args$model)
fit_all <- function() {
  fit <- lavaan::cfa(model, data = x, missing = "fiml", estimator = "MLR")
  list(fitMeasures(fit), standardizedSolution(fit))
}
bench_run(fit_all, args, "lavaan")
