# Reference values for tests/test_cfa_estimators.py: every key of fitMeasures() (fit.measures = "all") and the
# estimates of lavaan's estimators for continuous (ML, MLR, MLM, MLMV, ULS, DWLS, WLS) and ordered (WLSMV, ULSMV,
# DWLS, WLS) items. R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/cfa_estimators.R
# Reads the project's bundled CSV files so that R and Python see identical data; writes
# tests/reference/cfa_estimators.json.
suppressMessages(library(lavaan))
library(jsonlite)

data_dir <- "psychometrics/survey/datasets/data"
HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
BFI <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)
ITEMS <- c(paste0("A", 1:5), paste0("C", 1:5))

describe <- function(fit, call, level = 0.95) {
  pe <- parameterEstimates(fit, remove.eq = TRUE, remove.system.eq = TRUE, remove.def = TRUE, level = level)
  ss <- standardizedSolution(fit, type = "std.all", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  list(
    call = call,
    level = level,
    options = lavInspect(fit, "options")[c("estimator", "se", "test", "information", "missing")],
    groups = as.list(labels),
    fit = as.list(fitMeasures(fit)),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = labels[grp], est = pe$est,
                           se = pe$se, ci_lower = pe$ci.lower, ci_upper = pe$ci.upper, std_all = ss$est.std)
  )
}

HS.model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
AC.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5"
AC <- BFI[complete.cases(BFI[, ITEMS]), c(ITEMS, "gender")]
SMALL <- AC[1:200, ]  # the first 200 complete cases: WLSMV standard errors at small n

cases <- list()
for (est in c("ML", "MLR", "MLM", "MLMV", "ULS", "DWLS", "WLS")) {
  cases[[paste0("hs_", tolower(est))]] <- describe(cfa(HS.model, data = HS, estimator = est),
                                                  sprintf("cfa(HS.model, data = HS, estimator = '%s')", est))
}
for (est in c("ML", "MLR", "MLM", "MLMV", "WLS")) {
  cases[[paste0("hs_school_", tolower(est))]] <- describe(
    cfa(HS.model, data = HS, estimator = est, group = "school", group.equal = "loadings"),
    sprintf("cfa(HS.model, data = HS, estimator = '%s', group = 'school', group.equal = 'loadings')", est))
}
cases$hs_ml_level90 <- describe(cfa(HS.model, data = HS), "cfa(HS.model, data = HS); parameterEstimates(level = 0.90)",
                                level = 0.90)
cases$hs_saturated_mlr <- describe(cfa("visual =~ x1 + x2 + x3", data = HS, estimator = "MLR"),
                                   "cfa('visual =~ x1 + x2 + x3', data = HS, estimator = 'MLR')")
cases$ac_fiml_ml <- describe(cfa(AC.model, data = BFI[, ITEMS], missing = "fiml"),
                             "cfa(AC.model, data = bfi[, ITEMS], missing = 'fiml')")
cases$ac_fiml_mlr <- describe(cfa(AC.model, data = BFI[, ITEMS], missing = "fiml", estimator = "MLR"),
                              "cfa(AC.model, data = bfi[, ITEMS], missing = 'fiml', estimator = 'MLR')")
for (est in c("WLSMV", "ULSMV", "DWLS", "WLS")) {
  cases[[paste0("ac_", tolower(est))]] <- describe(
    cfa(AC.model, data = AC, ordered = ITEMS, estimator = est),
    sprintf("cfa(AC.model, data = bfi (complete cases of ITEMS), ordered = ITEMS, estimator = '%s')", est))
}
cases$ac_gender_wlsmv <- describe(
  cfa(AC.model, data = AC, ordered = ITEMS, group = "gender", group.equal = c("thresholds", "loadings")),
  "cfa(AC.model, data = bfi (complete cases), ordered = ITEMS, group = 'gender', group.equal = c('thresholds', 'loadings'))")
cases$ac_gender_loadings_wlsmv <- describe(
  cfa(AC.model, data = AC, ordered = ITEMS, group = "gender", group.equal = "loadings"),
  "cfa(AC.model, data = bfi (complete cases), ordered = ITEMS, group = 'gender', group.equal = 'loadings')")
cases$small_wlsmv <- describe(cfa(AC.model, data = SMALL, ordered = ITEMS),
                              "cfa(AC.model, data = the first 200 complete cases of bfi, ordered = ITEMS)")

# invariance ladders with the new estimators: lavTestLRT's default difference test (Satorra-Bentler 2001 for MLM,
# Satorra 2000 for MLMV)
ladder <- function(estimator) {
  levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))
  fits <- lapply(levels, function(eq) cfa(HS.model, data = HS, group = "school", estimator = estimator,
                                          group.equal = eq))
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
  list(call = sprintf("cfa(HS.model, data = HS, group = 'school', estimator = '%s', group.equal = ...) per level; lavTestLRT()", estimator),
       method = attr(lrt, "heading"), chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]],
       pvalue = lrt[["Pr(>Chisq)"]])
}
ladders <- list(mlm = ladder("MLM"), mlmv = ladder("MLMV"))

out <- list(
  generated_by = "tests/reference/cfa_estimators.R",
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  items = ITEMS,
  models = list(hs = HS.model, ac = AC.model),
  cases = cases,
  ladders = ladders
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns", pretty = FALSE),
           "tests/reference/cfa_estimators.json")
