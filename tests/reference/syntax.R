# Reference values for tests/test_sem_syntax.py: lavaan syntax features (several left-hand sides, per-group
# modifiers, start(), label(), equal(), defined parameters :=), standardizedSolution (std.all, std.lv, std.nox,
# delta-method SEs), lavPredict (regression, Bartlett) and lavTestLRT (ML, MLR, WLSMV).
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/syntax.R
# Reads the project's bundled CSV files so that R and Python see identical data; writes tests/reference/syntax.json.
suppressMessages(library(lavaan))
library(jsonlite)

data_dir <- "psychometrics/survey/datasets/data"
HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(data_dir, "PoliticalDemocracy.csv"))
BFI <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)

FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")

group_of <- function(fit, grp) {
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) return(rep("1", length(grp)))
  ifelse(grp == 0, "0", labels[pmax(grp, 1)])
}

std_table <- function(fit, type) {
  s <- standardizedSolution(fit, type = type)
  grp <- if (is.null(s$group)) rep(1L, nrow(s)) else s$group
  data.frame(lhs = s$lhs, op = s$op, rhs = s$rhs, group = group_of(fit, grp), est_std = s$est.std, se = s$se,
             z = s$z, pvalue = s$pvalue, ci_lower = s$ci.lower, ci_upper = s$ci.upper)
}

describe <- function(fit, call, std = TRUE) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  out <- list(call = call, fit = as.list(fitMeasures(fit, FIT_NAMES)),
              estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = group_of(fit, grp),
                                     label = if (is.null(pe$label)) "" else pe$label, est = pe$est, se = pe$se,
                                     z = pe$z, pvalue = pe$pvalue, ci_lower = pe$ci.lower, ci_upper = pe$ci.upper,
                                     std_lv = pe$std.lv, std_all = pe$std.all))
  if (std) {
    out$std_all <- std_table(fit, "std.all")
    out$std_lv <- std_table(fit, "std.lv")
    out$std_nox <- std_table(fit, "std.nox")
  }
  out
}

cases <- list()
# lavaan's default nlminb tolerance (rel.tol = 1e-10) stops the labelled political-democracy models about 1e-4
# from the optimum; these fits iterate further (flagged "not converged" by nlminb, hence optim.force.converged)
TIGHT <- list(rel.tol = 1e-12)

# sem() help page: Bollen (1989) political democracy, with defined parameters added
PD.model <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a*y2 + b*y3 + c*y4
  dem65 =~ y5 + a*y6 + b*y7 + c*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"
cases$pd <- describe(sem(PD.model, data = PD, control = TIGHT, optim.force.converged = TRUE),
                     "sem(PD.model, data = PoliticalDemocracy, control = list(rel.tol = 1e-12))")
PD.defined <- paste(PD.model, "
  ab := a*b
  total := a + b*c
  ratio := a/b
  curve := exp(c/2) - sqrt(a) + log(b)
  twice := 2*ab
")
pd_defined_fit <- sem(PD.defined, data = PD, control = TIGHT, optim.force.converged = TRUE)
cases$pd_defined <- describe(pd_defined_fit,
                             "sem(PD.defined, data = PoliticalDemocracy, control = list(rel.tol = 1e-12))")
cases$pd_defined$summary <- capture.output(summary(pd_defined_fit, fit.measures = TRUE, standardized = TRUE))

# cfa() / standardizedSolution() / lavPredict() help pages
HS.model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
hs_fit <- cfa(HS.model, data = HS)
cases$hs <- describe(hs_fit, "cfa(HS.model, data = HolzingerSwineford1939)")
cases$hs$predict_regression <- as.data.frame(lavPredict(hs_fit))
cases$hs$predict_bartlett <- as.data.frame(lavPredict(hs_fit, method = "Bartlett"))
cases$hs$predict_ov <- as.data.frame(lavPredict(hs_fit, type = "ov"))
hs_std_lv <- cfa(HS.model, data = HS, std.lv = TRUE)
cases$hs_std_lv <- describe(hs_std_lv, "cfa(HS.model, data = HolzingerSwineford1939, std.lv = TRUE)")
cases$hs_std_lv$predict_bartlett <- as.data.frame(lavPredict(hs_std_lv, method = "Bartlett"))

# lavPredict for a FIML fit: each missing-data pattern scored from its observed variables
HS.holes <- HS
HS.holes$x1[c(1, 5, 9)] <- NA
HS.holes$x5[c(2, 5, 40)] <- NA
HS.holes$x9[10:12] <- NA
HS.holes[20, c("x1", "x2", "x3")] <- NA
fiml_fit <- cfa(HS.model, data = HS.holes, missing = "ml")
cases$hs_fiml <- list(predict_regression = as.data.frame(lavPredict(fiml_fit)),
                      predict_bartlett = as.data.frame(lavPredict(fiml_fit, method = "Bartlett")))

# lavPredict help: multigroup factor scores (one matrix per group)
mg_fit <- cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))
cases$hs_groups <- describe(mg_fit, "cfa(HS.model, data = HS, group = 'school', group.equal = c('loadings', 'intercepts'))")
cases$hs_groups$predict_regression <- lapply(lavPredict(mg_fit), as.data.frame)
cases$hs_groups$predict_bartlett <- lapply(lavPredict(mg_fit, method = "Bartlett"), as.data.frame)
cases$hs_groups$predict_ov <- lapply(lavPredict(mg_fit, type = "ov"), as.data.frame)
cases$hs_groups$case_idx <- lavInspect(mg_fit, "case.idx")
cases$hs_groups$summary <- capture.output(summary(mg_fit, fit.measures = TRUE, standardized = TRUE))

# several left-hand sides, exogenous covariates (std.nox differs from std.all)
HS.multi <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
visual + textual ~ ageyr + sex"
multi_fit <- sem(HS.multi, data = HS)
cases$hs_multi <- describe(multi_fit, "sem(HS.multi, data = HolzingerSwineford1939)")
cases$hs_multi$predict_regression <- as.data.frame(lavPredict(multi_fit))
cases$hs_multi$predict_ov <- as.data.frame(lavPredict(multi_fit, type = "ov"))

# per-group modifiers, start(), label(), equal() and a defined difference across groups
HS.groups <- "visual =~ x1 + c(l2a, l2b)*x2 + start(0.5)*x3
textual =~ x4 + c(1, NA)*x5 + label(\"l6\")*x6
speed =~ x7 + x8 + x9
diff := l2a - l2b"
cases$hs_modifiers <- describe(sem(HS.groups, data = HS, group = "school"),
                               "sem(HS.groups, data = HolzingerSwineford1939, group = 'school')")
HS.eq <- "visual =~ x1 + x2 + equal(\"visual=~x2\")*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
cases$hs_equal <- describe(cfa(HS.eq, data = HS), "cfa(HS.eq, data = HolzingerSwineford1939)")

# lavTestScore help page: explicit equality constraints between labels, and a definition using them
HS.constrained <- "visual =~ x1 + b1*x2 + x3
textual =~ x4 + b2*x5 + x6
speed =~ x7 + b3*x8 + x9
b1 == b2
b2 == b3
d := b1 - 2*b3"
constrained_fit <- cfa(HS.constrained, data = HS)
cases$hs_constrained <- describe(constrained_fit, "cfa(HS.constrained, data = HolzingerSwineford1939)")
score <- lavTestScore(constrained_fit, cumulative = TRUE)
cases$hs_constrained$score <- list(total = score$test[, c("X2", "df", "p.value")],
                                   uni = score$uni[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
                                   cumulative = score$cumulative[, c("lhs", "op", "rhs", "X2", "df", "p.value")])

score_table_add <- function(fit, add) {
  score <- lavTestScore(fit, add = add, cumulative = TRUE)
  list(add = add, total = score$test[, c("X2", "df", "p.value")],
       uni = score$uni[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
       cumulative = score$cumulative[, c("lhs", "op", "rhs", "X2", "df", "p.value")])
}
score_table <- function(fit) {
  score <- lavTestScore(fit, cumulative = TRUE)
  list(total = score$test[, c("X2", "df", "p.value")],
       uni = score$uni[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
       cumulative = score$cumulative[, c("lhs", "op", "rhs", "X2", "df", "p.value")])
}
score_cases <- list(
  hs_add = score_table_add(constrained_fit, "visual =~ x9\ntextual =~ x3"),
  hs_add_free = score_table_add(hs_fit, "visual =~ x9\ntextual =~ x3"),
  hs_loadings = score_table(cfa(HS.model, data = HS, group = "school", group.equal = "loadings")),
  hs_intercepts = score_table(cfa(HS.model, data = HS, group = "school", group.equal = c("loadings", "intercepts"))),
  pd_labels = score_table(sem(PD.model, data = PD, control = TIGHT, optim.force.converged = TRUE))
)

# an equality constraint to a constant, and its score test
HS.fixed <- "visual =~ x1 + b1*x2 + b2*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
b1 == 0.5"
fixed_fit <- cfa(HS.fixed, data = HS)
cases$hs_fixed <- describe(fixed_fit, "cfa(HS.fixed, data = HolzingerSwineford1939)")
cases$hs_fixed$score <- list(total = lavTestScore(fixed_fit)$test[, c("X2", "df", "p.value")],
                             uni = lavTestScore(fixed_fit)$uni[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
                             cumulative = lavTestScore(fixed_fit, cumulative = TRUE)$cumulative[, c("lhs", "op", "rhs", "X2", "df", "p.value")])

# inequality constraints that do not bind (lavaan's constrained estimate is the unconstrained solution)
HS.inequality <- "visual =~ x1 + b1*x2 + b2*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
b1 > 0
b2 < 2*b1 + 1
d := b1 - b2"
cases$hs_inequality <- describe(cfa(HS.inequality, data = HS), "cfa(HS.inequality, data = HolzingerSwineford1939)")

# growth() help page: linear growth model with a time-varying covariate on lavaan's Demo.growth
Demo.growth <- read.csv(file.path(data_dir, "Demo.growth.csv"))
growth.model <- "
  i =~ 1*t1 + 1*t2 + 1*t3 + 1*t4
  s =~ 0*t1 + 1*t2 + 2*t3 + 3*t4
  i ~ x1 + x2
  s ~ x1 + x2
  t1 ~ c1
  t2 ~ c2
  t3 ~ c3
  t4 ~ c4
"
cases$growth <- describe(growth(growth.model, data = Demo.growth), "growth(growth.model, data = Demo.growth)")

# lavTestLRT help page (orthogonal = TRUE written as zero covariances), plus a third, larger model
HS.lrt <- "visual =~ x1 + b1*x2 + x3
textual =~ x4 + b2*x5 + x6
speed =~ x7 + b3*x8 + x9"
HS.cross <- paste(HS.lrt, "\nvisual =~ x9")
lrt_table <- function(tab) {
  data.frame(df = tab$Df, aic = tab$AIC, bic = tab$BIC, chisq = tab$Chisq, chisq_diff = tab[["Chisq diff"]],
             df_diff = tab[["Df diff"]], pvalue = tab[["Pr(>Chisq)"]], row.names = rownames(tab))
}
lrt <- list()
for (est in c("ML", "MLR")) {
  f1 <- cfa(HS.lrt, data = HS, estimator = est)
  f0 <- cfa(HS.lrt, data = HS, estimator = est, orthogonal = TRUE)
  fx <- cfa(HS.cross, data = HS, estimator = est)
  lrt[[est]] <- list(two = lrt_table(lavTestLRT(f1, f0)), three = lrt_table(lavTestLRT(f0, fx, f1)))
}
ITEMS <- c(paste0("A", 1:5), paste0("C", 1:5))
AC.model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5"
o1 <- cfa(AC.model, data = BFI, ordered = ITEMS)
cases$ac_ordered <- describe(o1, "cfa(AC.model, data = bfi, ordered = ITEMS)")
o0 <- cfa(AC.model, data = BFI, ordered = ITEMS, orthogonal = TRUE)
lrt$WLSMV <- list(two = lrt_table(lavTestLRT(o1, o0)))

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  models = list(PD = PD.model, PD_defined = PD.defined, HS = HS.model, HS_multi = HS.multi, HS_groups = HS.groups,
                HS_eq = HS.eq, HS_constrained = HS.constrained, HS_inequality = HS.inequality, HS_fixed = HS.fixed, growth = growth.model, HS_lrt = HS.lrt, HS_cross = HS.cross, AC = AC.model),
  cases = cases,
  score = score_cases,
  lrt = lrt
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns"), "tests/reference/syntax.json")
