# lavaan::cfa with every item ordered (WLSMV: DWLS, robust.sem SEs, scaled-shifted test) of the model in
# model=FILE, with what our CFAResult holds: fit measures and the standardized solution.
# Usage: Rscript cfa_wlsmv.R data=data.csv model=model.lav budget=5 min_repeats=3 max_repeats=50
source(file.path(dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))), "bench.R"))
suppressPackageStartupMessages(library(lavaan))
args <- bench_args()
x <- read.csv(args$data)
model <- bench_read_model(args$model)
fit_all <- function() {
  fit <- lavaan::cfa(model, data = x, ordered = names(x))
  list(fitMeasures(fit), standardizedSolution(fit))
}
bench_run(fit_all, args, "lavaan")
