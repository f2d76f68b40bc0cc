# Reference values for tests/test_cfa_mlr.py and tests/test_cfa_fiml.py: robust ML (MLR) and full-information
# ML (missing = "fiml") in lavaan. R 4.2.2, lavaan 0.6-14. Run from the repository root:
#   Rscript tests/reference/cfa_robust.R
# Reads the project's bundled CSV files so that R and Python see identical data; writes
# tests/reference/cfa_robust.json.
suppressMessages(library(lavaan))
library(jsonlite)

data_dir <- "psychometrics/survey/datasets/data"
HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
BFI <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)

FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
               "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
               "baseline.chisq.scaled", "baseline.df.scaled", "baseline.pvalue.scaled",
               "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust",
               "tli.robust", "logl", "unrestricted.logl", "aic", "bic", "bic2", "ntotal", "rmsea",
               "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "rmsea.scaled", "rmsea.ci.lower.scaled",
               "rmsea.ci.upper.scaled", "rmsea.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
               "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr")

describe <- function(fit, call) {
  pe <- parameterEstimates(fit, remove.eq = TRUE, remove.system.eq = TRUE, remove.def = TRUE)
  ss <- standardizedSolution(fit, type = "std.all", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  fm <- fitMeasures(fit)
  list(
    call = call,
    options = lavInspect(fit, "options")[c("estimator", "se", "test", "information", "h1.information",
                                           "observed.information", "missing", "meanstructure")],
    groups = as.list(labels),
    nobs = as.list(lavInspect(fit, "nobs")),
    fit = as.list(fm[intersect(FIT_NAMES, names(fm))]),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = labels[grp],
                           est = pe$est, se = pe$se, std_all = ss$est.std)
  )
}

HS.model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
AC.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5"
AC <- BFI[, c(paste0("A", 1:5), paste0("C", 1:5), "gender")]

cases <- list()
cases$hs_mlr <- describe(cfa(HS.model, data = HS, estimator = "MLR"), "cfa(HS.model, data = HS, estimator = 'MLR')")
cases$hs_mlr_std_lv <- describe(cfa(HS.model, data = HS, estimator = "MLR", std.lv = TRUE),
                                "cfa(HS.model, data = HS, estimator = 'MLR', std.lv = TRUE)")
cases$hs_mlr_school <- describe(cfa(HS.model, data = HS, estimator = "MLR", group = "school"),
                                "cfa(HS.model, data = HS, estimator = 'MLR', group = 'school')")
cases$bfi_fiml <- describe(cfa(AC.model, data = AC, missing = "fiml"),
                           "cfa(AC.model, data = bfi[, A1..A5, C1..C5], missing = 'fiml')")
cases$bfi_fiml_mlr <- describe(cfa(AC.model, data = AC, missing = "fiml", estimator = "MLR"),
                               "cfa(AC.model, data = bfi[, A1..A5, C1..C5], missing = 'fiml', estimator = 'MLR')")
cases$bfi_fiml_gender <- describe(cfa(AC.model, data = AC, missing = "fiml", group = "gender"),
                                  "cfa(AC.model, data = bfi[, A1..A5, C1..C5, gender], missing = 'fiml', group = 'gender')")
cases$bfi_fiml_mlr_gender <- describe(
  cfa(AC.model, data = AC, missing = "fiml", estimator = "MLR", group = "gender", group.equal = "loadings"),
  "cfa(AC.model, data = bfi[, A1..A5, C1..C5, gender], missing = 'fiml', estimator = 'MLR', group = 'gender', group.equal = 'loadings')")

# modification indices and univariate score tests of equality constraints with FIML
mi <- modindices(cfa(AC.model, data = AC, missing = "fiml"))
score <- lavTestScore(cfa(AC.model, data = AC, missing = "fiml", group = "gender", group.equal = "loadings"))$uni
pt <- parTable(cfa(AC.model, data = AC, missing = "fiml", group = "gender", group.equal = "loadings"))
rhs_of <- function(plabel) pt$rhs[match(plabel, pt$plabel)]
modindices_fiml <- list(
  call = "modindices(cfa(AC.model, data = AC, missing = 'fiml'))",
  table = data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc, sepc_all = mi$sepc.all),
  score_call = "lavTestScore(cfa(AC.model, data = AC, missing = 'fiml', group = 'gender', group.equal = 'loadings'))$uni",
  score = data.frame(rhs = rhs_of(score$rhs), X2 = score$X2, p = score$p.value)
)

# EM (h1) moments of the FIML fit
h1 <- lavInspect(cfa(AC.model, data = AC, missing = "fiml"), "sampstat.h1")
em <- list(cov = unclass(h1$cov), mean = as.numeric(h1$mean))

# measurement invariance with MLR: scaled difference tests (lavTestLRT's default for MLR,
# method = "satorra.bentler.2001")
invariance <- function(model, data, group, extra = list()) {
  levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
                 strict = c("loadings", "intercepts", "residuals"))
  fits <- lapply(levels, function(eq) do.call("cfa", c(list(model, data = data, group = group, estimator = "MLR",
                                                           group.equal = eq), extra)))
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict)
  list(
    fit = lapply(fits, function(f) as.list(fitMeasures(f)[intersect(FIT_NAMES, names(fitMeasures(f)))])),
    lrt = list(chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]], pvalue = lrt[["Pr(>Chisq)"]],
               method = attr(lrt, "heading"))
  )
}
inv <- list()
inv$hs_school <- invariance(HS.model, HS, "school")
inv$hs_school$call <- "cfa(HS.model, data = HS, group = 'school', estimator = 'MLR', group.equal = ...) per level; lavTestLRT()"
inv$bfi_gender_fiml <- invariance(AC.model, AC, "gender", list(missing = "fiml"))
inv$bfi_gender_fiml$call <- "cfa(AC.model, data = AC, group = 'gender', estimator = 'MLR', missing = 'fiml', group.equal = ...) per level; lavTestLRT()"

out <- list(
  generated_by = "tests/reference/cfa_robust.R",
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  models = list(hs = HS.model, ac = AC.model),
  cases = cases,
  em_bfi = em,
  modindices_fiml = modindices_fiml,
  invariance = inv
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns", pretty = FALSE),
           "tests/reference/cfa_robust.json")
