# Reference values for tests/test_cfa.py and tests/test_invariance.py.
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/cfa.R
# Reads the project's bundled CSV files so that R and Python see identical data; writes tests/reference/cfa.json.
suppressMessages(library(lavaan))
library(jsonlite)

data_dir <- "psychometrics/survey/datasets/data"
HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(data_dir, "PoliticalDemocracy.csv"))
BFI <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)

FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli", "logl",
               "unrestricted.logl", "aic", "bic", "bic2", "ntotal", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
               "rmsea.pvalue", "srmr")

describe <- function(fit, call, mi = FALSE) {
  pe <- parameterEstimates(fit, remove.eq = TRUE, remove.system.eq = TRUE, remove.def = TRUE)
  ss <- standardizedSolution(fit, type = "std.all", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
  sl <- standardizedSolution(fit, type = "std.lv", remove.eq = TRUE, remove.def = TRUE, se = FALSE)
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  out <- list(
    call = call,
    groups = as.list(labels),
    fit = as.list(fitMeasures(fit, FIT_NAMES)),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = labels[grp],
                           est = pe$est, se = pe$se, std_lv = sl$est.std, std_all = ss$est.std)
  )
  if (mi) {
    m <- modindices(fit)
    g <- if (is.null(m$group)) rep(1L, nrow(m)) else m$group
    out$modindices <- data.frame(lhs = m$lhs, op = m$op, rhs = m$rhs, group = labels[g], mi = m$mi,
                                 epc = m$epc, sepc_lv = m$sepc.lv, sepc_all = m$sepc.all)
  }
  out
}

HS.model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
cases <- list()
cases$hs <- describe(cfa(HS.model, data = HS), "cfa(HS.model, data = HS)", mi = TRUE)
cases$hs_std_lv <- describe(cfa(HS.model, data = HS, std.lv = TRUE), "cfa(HS.model, data = HS, std.lv = TRUE)", mi = TRUE)

HS.custom <- "visual =~ x1 + x2 + x3 + x9
textual =~ x4 + a*x5 + a*x6
speed =~ NA*x7 + x8 + x9
speed ~~ 1*speed
x2 ~~ x3
x1 ~ 1"
cases$hs_custom <- describe(cfa(HS.custom, data = HS), "cfa(HS.custom, data = HS)", mi = TRUE)

HS.second <- paste(HS.model, "g =~ visual + textual + speed", sep = "\n")
cases$hs_second_order <- describe(cfa(HS.second, data = HS), "cfa(HS.second, data = HS)")

cov_hs <- cov(HS[, paste0("x", 1:9)])
cases$hs_sample_cov <- describe(cfa(HS.model, sample.cov = cov_hs, sample.nobs = 301),
                                "cfa(HS.model, sample.cov = cov(HS[, x1..x9]), sample.nobs = 301)")
cases$hs_sample_cov$input <- list(cov = cov_hs, n_obs = 301)

PD.model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"
cases$poldem <- describe(sem(PD.model, data = PD), "sem(PD.model, data = PoliticalDemocracy)", mi = TRUE)

HS.mimic <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual ~ ageyr + sex
textual ~ visual + x7
x9 ~ textual"
cases$hs_mimic <- describe(sem(HS.mimic, data = HS), "sem(HS.mimic, data = HS)", mi = TRUE)
cases$hs_mimic_school <- describe(sem(HS.mimic, data = HS, group = "school", group.equal = "loadings"),
                                  "sem(HS.mimic, data = HS, group = 'school', group.equal = 'loadings')")
cases$hs_mimic_school_equal <- describe(
  sem(HS.mimic, data = HS, group = "school", group.equal = c("loadings", "regressions", "lv.variances")),
  "sem(HS.mimic, data = HS, group = 'school', group.equal = c('loadings', 'regressions', 'lv.variances'))")
cases$hs_custom_school <- describe(
  cfa(HS.custom, data = HS, group = "school",
      group.equal = c("loadings", "intercepts", "residual.covariances", "lv.covariances", "means")),
  "cfa(HS.custom, data = HS, group = 'school', group.equal = c('loadings', 'intercepts', 'residual.covariances', 'lv.covariances', 'means'))")
cases$hs_school_means <- describe(
  cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts", "residuals", "means")),
  "cfa(HS.model, data = HS, group = 'school', group.equal = c('loadings', 'intercepts', 'residuals', 'means'))")

levels <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
for (lev in names(levels)) {
  cases[[paste0("hs_school_", lev)]] <- describe(
    cfa(HS.model, data = HS, group = "school", group.equal = levels[[lev]]),
    sprintf("cfa(HS.model, data = HS, group = 'school', group.equal = c(%s))",
            paste(sprintf("'%s'", levels[[lev]]), collapse = ", ")),
    mi = (lev == "scalar"))
}
# univariate score tests for releasing each equality constraint of the scalar model (partial_suggestions)
fit_scalar <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
score <- lavTestScore(fit_scalar)$uni
pt <- parTable(fit_scalar)
released <- pt[match(score$rhs, pt$plabel), ]
cases$hs_school_scalar$score_tests <- data.frame(lhs = released$lhs, op = released$op, rhs = released$rhs,
                                                 group = lavInspect(fit_scalar, "group.label")[released$group],
                                                 mi = score$X2, pvalue = score$p.value)
cases$hs_school_partial <- describe(
  cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
      group.partial = c("visual =~ x2", "x7 ~ 1")),
  "cfa(HS.model, data = HS, group = 'school', group.equal = c('loadings', 'intercepts'), group.partial = c('visual =~ x2', 'x7 ~ 1'))")
cases$hs_school_std_lv_metric <- describe(
  cfa(HS.model, data = HS, group = "school", group.equal = "loadings", std.lv = TRUE),
  "cfa(HS.model, data = HS, group = 'school', group.equal = 'loadings', std.lv = TRUE)")

AC.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5
C4 ~~ C5"
BFI_ED <- BFI[!is.na(BFI$education), ]
cases$bfi_education_configural <- describe(cfa(AC.model, data = BFI_ED, group = "education"),
                                           "cfa(AC.model, data = bfi[!is.na(bfi$education), ], group = 'education')")
cases$bfi_education_scalar <- describe(
  cfa(AC.model, data = BFI_ED, group = "education", group.equal = c("loadings", "intercepts", "lv.variances")),
  "cfa(AC.model, data = bfi[!is.na(bfi$education), ], group = 'education', group.equal = c('loadings', 'intercepts', 'lv.variances'))")

BFI.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5
extra =~ E1 + E2 + E3 + E4 + E5
neuro =~ N1 + N2 + N3 + N4 + N5
open =~ O1 + O2 + O3 + O4 + O5"
for (lev in names(levels)) {
  fit <- cfa(BFI.model, data = BFI, group = "gender", group.equal = levels[[lev]])
  cases[[paste0("bfi_gender_", lev)]] <- list(
    call = sprintf("cfa(BFI.model, data = bfi, group = 'gender', group.equal = %s)", lev),
    groups = as.list(lavInspect(fit, "group.label")),
    fit = as.list(fitMeasures(fit, FIT_NAMES)))
}

models <- list(hs = HS.model, hs_mimic = HS.mimic, hs_custom = HS.custom, hs_second_order = HS.second, poldem = PD.model,
               ac = AC.model, bfi = BFI.model)
out <- list(
  generated_by = "tests/reference/cfa.R",
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  models = models,
  cases = cases
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns", pretty = FALSE),
           "tests/reference/cfa.json")
