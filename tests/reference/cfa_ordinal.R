# Reference values for tests/test_cfa_ordinal.py: CFA of ordinal items (WLSMV) and the ordinal invariance ladder.
# R 4.2.2, lavaan 0.6-14, semTools 0.5-6. Run from the repository root: Rscript tests/reference/cfa_ordinal.R
# Reads the project's bundled bfi CSV so that R and Python see identical data; writes tests/reference/cfa_ordinal.json.
suppressMessages({library(lavaan); library(semTools)})
library(jsonlite)

BFI <- read.csv("psychometrics/survey/datasets/data/bfi.csv", row.names = 1)
ITEMS <- c(paste0("A", 1:5), paste0("C", 1:5))
FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled", "chisq.scaling.factor",
               "baseline.chisq", "baseline.df", "baseline.chisq.scaled", "cfi", "tli", "cfi.scaled", "tli.scaled",
               "ntotal", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "rmsea.scaled", "srmr")

describe <- function(fit, call, estimates = TRUE) {
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  out <- list(call = call, groups = as.list(labels), fit = as.list(fitMeasures(fit, FIT_NAMES)),
              options = lavInspect(fit, "options")[c("estimator", "test", "se", "parameterization", "missing")])
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
AC.corr <- paste(AC.model, "C4 ~~ C5", sep = "\n")
cases <- list()
cases$ac <- describe(cfa(AC.model, data = BFI, ordered = ITEMS), "cfa(AC.model, data = bfi, ordered = ITEMS)")
cases$ac_corr_std_lv <- describe(cfa(AC.corr, data = BFI, ordered = ITEMS, std.lv = TRUE),
                                 "cfa(AC.corr, data = bfi, ordered = ITEMS, std.lv = TRUE)")
cases$gender_configural <- describe(cfa(AC.model, data = BFI, ordered = ITEMS, group = "gender"),
                                    "cfa(AC.model, data = bfi, ordered = ITEMS, group = 'gender')")
# binary items (top two categories) without the cases answering both A1 and C2 in them: one empty 2 x 2 cell,
# corrected by lavaan's zero.add = c(0.5, 0)
BIN <- as.data.frame(lapply(BFI[complete.cases(BFI[, ITEMS]), ITEMS], function(x) as.integer(x >= 5)))
BIN <- BIN[!(BIN$A1 == 1 & BIN$C2 == 1), ]
cases$binary_zero_cell <- describe(cfa(AC.model, data = BIN, ordered = ITEMS),
                                   "cfa(AC.model, data = BIN, ordered = ITEMS) (BIN: items >= 5, no A1 = C2 = 1)")
equal <- list(thresholds = "thresholds", thresholds_loadings = c("thresholds", "loadings"),
              thresholds_loadings_intercepts = c("thresholds", "loadings", "intercepts"))
for (name in names(equal)) {
  cases[[paste0("gender_", name)]] <- describe(
    cfa(AC.model, data = BFI, ordered = ITEMS, group = "gender", group.equal = equal[[name]]),
    sprintf("cfa(AC.model, data = bfi, ordered = ITEMS, group = 'gender', group.equal = c(%s))",
            paste(sprintf("'%s'", equal[[name]]), collapse = ", ")))
}
cases$gender_partial <- describe(
  cfa(AC.model, data = BFI, ordered = ITEMS, group = "gender", group.equal = c("thresholds", "loadings"),
      group.partial = c("A1|t1", "C5|t5", "consc=~C4")),
  "cfa(AC.model, data = bfi, ordered = ITEMS, group = 'gender', group.equal = c('thresholds', 'loadings'), group.partial = c('A1|t1', 'C5|t5', 'consc=~C4'))")

# Wu & Estabrook (2016) ladder as semTools builds it (ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016")
ladder <- list(configural = "", thresholds = "thresholds", metric = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
wu_estabrook <- function(data, group, description) {
  fits <- list()
  for (level in names(ladder)) {
    syntax <- as.character(measEq.syntax(configural.model = AC.model, data = data, ordered = ITEMS,
                                         parameterization = "delta", ID.fac = "std.lv",
                                         ID.cat = "Wu.Estabrook.2016", group = group,
                                         group.equal = ladder[[level]]))
    fits[[level]] <- cfa(syntax, data = data, ordered = ITEMS, group = group)
  }
  calls <- sprintf(paste("measEq.syntax(AC.model, data = %s, ordered = ITEMS, ID.fac = 'std.lv',",
                         "ID.cat = 'Wu.Estabrook.2016', group = '%s', group.equal = '%s')"),
                   description, group, names(ladder))
  lrt <- lavTestLRT(fits$configural, fits$thresholds, fits$metric, fits$scalar)
  list(fits = fits, calls = setNames(as.list(calls), names(ladder)), method = attr(lrt, "heading"),
       lrt = data.frame(level = names(ladder), df = lrt$Df, chisq = lrt$Chisq, delta_chisq = lrt[["Chisq diff"]],
                        delta_df = lrt[["Df diff"]], delta_pvalue = lrt[["Pr(>Chisq)"]]))
}
gender <- wu_estabrook(BFI, "gender", "bfi")
AGE <- BFI[BFI$age >= 10 & BFI$age < 40, ]
AGE$agegrp <- AGE$age %/% 10  # three groups: ages 10-19, 20-29, 30-39
age <- wu_estabrook(AGE, "agegrp", "bfi[10 <= age < 40] with agegrp = age %/% 10")
for (level in names(ladder)) {
  cases[[paste0("ladder_", level)]] <- describe(gender$fits[[level]], gender$calls[[level]],
                                                estimates = (level == "thresholds"))
  cases[[paste0("age_ladder_", level)]] <- describe(age$fits[[level]], age$calls[[level]], estimates = FALSE)
}

out <- list(
  generated_by = "tests/reference/cfa_ordinal.R",
  r_version = R.version.string,
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  items = ITEMS,
  models = list(ac = AC.model, ac_corr = AC.corr),
  cases = cases,
  ladder_lrt = gender$lrt,
  age_ladder_lrt = age$lrt,
  lrt_method = gender$method
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns", pretty = FALSE),
           "tests/reference/cfa_ordinal.json")
