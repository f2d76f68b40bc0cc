# lavaan::cfa of the model in model=FILE, with what our CFAResult holds: fit measures and the standardized
# solution. lavaan's defaults (ML, expected information, marker variables) unless options say otherwise:
# ordered=all (every item ordinal: WLSMV, i.e. DWLS with robust SEs and the scaled-shifted test),
# missing=fiml and estimator=MLR (casewise likelihood, sandwich SEs, Yuan-Bentler scaled test).
# Usage: Rscript cfa.R data=data.csv model=model.lav [ordered=all] [missing=fiml] [estimator=MLR]
#        budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(lavaan))
args <- bench_args()
x <- read.csv(args$data)
model <- bench_read_model(args$model)
options <- list(ordered = if (identical(args$ordered, "all")) names(x) else NULL,
                missing = if (is.null(args$missing)) "default" else args$missing,
                estimator = if (is.null(args$estimator)) "default" else args$estimator)
fit_all <- function() {
  fit <- do.call("cfa", c(list(model, data = x), options))  # by name: lavaan reads its own call
  list(fitMeasures(fit), standardizedSolution(fit))
}
bench_run(fit_all, args, "lavaan")
