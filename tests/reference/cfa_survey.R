# Reference values for tests/test_cfa_survey.py: CFA on survey data as collected (issue 14): ordinal items with
# pairwise-present answers (lavaan's missing = "pairwise" with WLSMV/ULSMV), cluster-robust MLR (cluster =),
# sampling weights (sampling.weights =) and the ordinal invariance ladder on pairwise data.
# R 4.2.2, lavaan 0.6-14, semTools 0.5-6. Run from the repository root: Rscript tests/reference/cfa_survey.R
# Reads the project's bundled CSVs so that R and Python see identical data; writes tests/reference/cfa_survey.json.
# Test-only columns made here (the bundled data have no service or weight column):
#   PS$service   a clearly labelled stand-in cluster id: site:role:k with k = (running number of the respondent
#                within site and role, from 0) %/% 6, i.e. "services" of up to 6 respondents of one role at one site
#   HS$w = 1 + (id %% 4) / 2                     deterministic sampling weights (1, 1.5, 2, 2.5)
#   PS$w = 1 + (row number %% 3) / 2             deterministic sampling weights (1, 1.5, 2)
suppressMessages({library(lavaan); library(semTools)})
library(jsonlite)

BFI <- read.csv("psychometrics/survey/datasets/data/bfi.csv", row.names = 1)
PS <- read.csv("psychometrics/survey/datasets/data/peer_support_survey.csv")
HS <- read.csv("psychometrics/survey/datasets/data/HolzingerSwineford1939.csv")
PS$service <- paste(PS$site, PS$role, (ave(seq_len(nrow(PS)), PS$site, PS$role, FUN = seq_along) - 1) %/% 6,
                    sep = ":")
HS$w <- 1 + (HS$id %% 4) / 2
PS$w <- 1 + (seq_len(nrow(PS)) %% 3) / 2
AC_ITEMS <- c(paste0("A", 1:5), paste0("C", 1:5))
PS_ITEMS <- c(paste0("oc", 1:4), paste0("tr", 1:3))
FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "cfi", "tli", "cfi.scaled", "tli.scaled",
               "cfi.robust", "tli.robust", "ntotal", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
               "rmsea.scaled", "rmsea.robust", "srmr", "logl", "unrestricted.logl", "aic", "bic")

describe <- function(fit, call, estimates = TRUE) {
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  fm <- fitMeasures(fit)
  keep <- intersect(FIT_NAMES, names(fm))
  out <- list(call = call, groups = as.list(labels), nobs = as.list(lavInspect(fit, "nobs")),
              fit = as.list(fm[keep]),
              options = lavInspect(fit, "options")[c("estimator", "test", "se", "missing", "information")])
  if (estimates) {
    pe <- parameterEstimates(fit, remove.eq = TRUE, remove.system.eq = TRUE, remove.def = TRUE)
    ss <- standardizedSolution(fit, type = "std.all", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
    sl <- standardizedSolution(fit, type = "std.lv", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
    grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
    out$estimates <- data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = labels[grp], est = pe$est,
                                se = pe$se, std_lv = sl$est.std, std_all = ss$est.std)
  }
  out
}

AC.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5"
PS.model <- "oc =~ oc1 + oc2 + oc3 + oc4
tr =~ tr1 + tr2 + tr3"
HS.model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
cases <- list()
# (1) ordinal items, pairwise-present data
cases$bfi_pairwise <- describe(cfa(AC.model, data = BFI, ordered = AC_ITEMS, missing = "pairwise"),
                               "cfa(AC.model, data = bfi, ordered = AC_ITEMS, missing = 'pairwise')")
cases$bfi_pairwise_ulsmv <- describe(
  cfa(AC.model, data = BFI, ordered = AC_ITEMS, missing = "pairwise", estimator = "ULSMV"),
  "cfa(AC.model, data = bfi, ordered = AC_ITEMS, missing = 'pairwise', estimator = 'ULSMV')")
cases$ps_pairwise <- describe(cfa(PS.model, data = PS, ordered = PS_ITEMS, missing = "pairwise"),
                              "cfa(PS.model, data = peer_support_survey, ordered = PS_ITEMS, missing = 'pairwise')")
cases$bfi_pairwise_gender <- describe(
  cfa(AC.model, data = BFI, ordered = AC_ITEMS, missing = "pairwise", group = "gender"),
  "cfa(AC.model, data = bfi, ordered = AC_ITEMS, missing = 'pairwise', group = 'gender')")
# (2) cluster-robust MLR (continuous items; listwise)
cases$ps_mlr_cluster <- describe(
  cfa(PS.model, data = PS, estimator = "MLR", cluster = "service"),
  "cfa(PS.model, data = peer_support_survey, estimator = 'MLR', cluster = 'service')")
cases$ps_mlr_cluster_sites <- describe(
  cfa(PS.model, data = PS, estimator = "MLR", cluster = "service", group = "site"),
  "cfa(PS.model, data = peer_support_survey, estimator = 'MLR', cluster = 'service', group = 'site')", estimates = FALSE)
cases$ps_mlr_cluster_fiml <- describe(
  cfa(PS.model, data = PS, estimator = "MLR", cluster = "service", missing = "fiml"),
  "cfa(PS.model, data = peer_support_survey, estimator = 'MLR', cluster = 'service', missing = 'fiml')")
# (4) invariance ladders: MLR with clusters across sites; ordinal pairwise (Wu & Estabrook) across gender
lrt_table <- function(fits) {
  lrt <- do.call(lavTestLRT, unname(fits))
  list(chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]], pvalue = lrt[["Pr(>Chisq)"]],
       method = attr(lrt, "heading"))
}
mlr_ladder <- list(configural = "none", metric = "loadings", scalar = c("loadings", "intercepts"))
fits <- lapply(mlr_ladder, function(eq) cfa(PS.model, data = PS, estimator = "MLR", cluster = "service",
                                            group = "site", group.equal = eq))
ladders <- list()
ladders$ps_site_mlr_cluster <- list(
  call = "cfa(PS.model, data = PS, estimator = 'MLR', cluster = 'service', group = 'site', group.equal = ...); lavTestLRT",
  fit = lapply(fits, function(f) as.list(fitMeasures(f)[intersect(FIT_NAMES, names(fitMeasures(f)))])),
  lrt = lrt_table(fits))
we_ladder <- list(configural = "", thresholds = "thresholds", metric = c("thresholds", "loadings"),
                  scalar = c("thresholds", "loadings", "intercepts"))
fits <- lapply(we_ladder, function(eq) {
  syntax <- as.character(measEq.syntax(configural.model = AC.model, data = BFI, ordered = AC_ITEMS,
                                       parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016",
                                       group = "gender", group.equal = eq, missing = "pairwise"))
  cfa(syntax, data = BFI, ordered = AC_ITEMS, group = "gender", missing = "pairwise")
})
ladders$bfi_gender_pairwise <- list(
  call = paste("measEq.syntax(AC.model, data = bfi, ordered = AC_ITEMS, ID.fac = 'std.lv', ID.cat =",
               "'Wu.Estabrook.2016', group = 'gender', group.equal = ...); cfa(..., missing = 'pairwise'); lavTestLRT"),
  fit = lapply(fits, function(f) as.list(fitMeasures(f)[intersect(FIT_NAMES, names(fitMeasures(f)))])),
  lrt = lrt_table(fits))
# (3) sampling weights
cases$hs_weighted_ml <- describe(cfa(HS.model, data = HS, sampling.weights = "w"),
                                 "cfa(HS.model, data = HS, sampling.weights = 'w')")
cases$hs_weighted_mlr <- describe(cfa(HS.model, data = HS, sampling.weights = "w", estimator = "MLR"),
                                  "cfa(HS.model, data = HS, sampling.weights = 'w', estimator = 'MLR')")
cases$hs_weighted_school <- describe(cfa(HS.model, data = HS, sampling.weights = "w", group = "school"),
                                     "cfa(HS.model, data = HS, sampling.weights = 'w', group = 'school')")
cases$ps_weighted_cluster <- describe(
  cfa(PS.model, data = PS, sampling.weights = "w", cluster = "service", estimator = "MLR"),
  "cfa(PS.model, data = peer_support_survey, sampling.weights = 'w', cluster = 'service', estimator = 'MLR')")

out <- list(
  generated_by = "tests/reference/cfa_survey.R",
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  items = list(ac = AC_ITEMS, ps = PS_ITEMS),
  models = list(ac = AC.model, ps = PS.model, hs = HS.model),
  test_columns = list(service = "peer_support_survey: site:role:k, k = (running number within site and role) %/% 6",
                      w = "holzinger_swineford: 1 + (id %% 4) / 2; peer_support_survey: 1 + (row number %% 3) / 2"),
  cases = cases,
  ladders = ladders
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns", pretty = FALSE),
           "tests/reference/cfa_survey.json")
