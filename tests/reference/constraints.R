# Reference values for tests/test_sem_constraints.py: general equality constraints (linear combinations and
# nonlinear ones) and binding inequality constraints, estimated by lavaan (linear equalities by
# reparameterisation, the others by nlminb.constr's augmented Lagrangian), with standard errors from the
# augmented information (lav_model_information_augment_invert), df = ndat - npar + rank(ceq Jacobian) and
# fitMeasures(); lavTestScore for the release of general equality constraints.
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/constraints.R
# Reads the project's bundled CSV files; the simulated regression data of lavaan's constraints tutorial
# (set.seed(1234)) are written into the JSON. Writes tests/reference/constraints.json.
suppressMessages(library(lavaan))
library(jsonlite)

data_dir <- "psychometrics/survey/datasets/data"
HS <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
PD <- read.csv(file.path(data_dir, "PoliticalDemocracy.csv"))

# the augmented Lagrangian stops when the constraints hold to 1e-6 and the inner nlminb at rel.tol 1e-9 (the
# estimates then carry errors near 1e-5); these fits iterate further so that they are the constrained optimum
# (nlminb then reports a false convergence, hence optim.force.converged)
TIGHT <- list(rel.tol = 1e-14, control.outer = list(tol = 1e-12, itmax = 200L))
# (not for linear equality constraints alone: lavaan then runs plain nlminb on the reparameterised model, which a
# smaller rel.tol derails, so those fits keep lavaan's defaults)

group_of <- function(fit, grp) {
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) return(rep("1", length(grp)))
  ifelse(grp == 0, "0", labels[pmax(grp, 1)])
}

describe <- function(fit, call) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  grp <- if (is.null(pe$group)) rep(1L, nrow(pe)) else pe$group
  fm <- fitMeasures(fit)
  list(call = call, converged = lavInspect(fit, "converged"),
       fit = as.list(setNames(as.numeric(fm), names(fm))),
       estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = group_of(fit, grp),
                              label = if (is.null(pe$label)) "" else pe$label, est = pe$est, se = pe$se,
                              z = pe$z, pvalue = pe$pvalue, ci_lower = pe$ci.lower, ci_upper = pe$ci.upper,
                              std_lv = pe$std.lv, std_all = pe$std.all))
}

std_table <- function(fit) {
  s <- standardizedSolution(fit, type = "std.all")
  grp <- if (is.null(s$group)) rep(1L, nrow(s)) else s$group
  data.frame(lhs = s$lhs, op = s$op, rhs = s$rhs, group = group_of(fit, grp), est_std = s$est.std, se = s$se,
             z = s$z, pvalue = s$pvalue, ci_lower = s$ci.lower, ci_upper = s$ci.upper)
}

score_table <- function(fit) {
  score <- lavTestScore(fit, cumulative = TRUE)
  list(total = score$test[, c("X2", "df", "p.value")],
       uni = score$uni[, c("lhs", "op", "rhs", "X2", "df", "p.value")],
       cumulative = score$cumulative[, c("lhs", "op", "rhs", "X2", "df", "p.value")])
}

models <- list()
cases <- list()

# lavaan's constraints tutorial (lavaan.org, "Constraints"): a regression with a nonlinear equality constraint
# and an inequality constraint that binds
set.seed(1234)
Data <- data.frame(y = rnorm(100), x1 = rnorm(100), x2 = rnorm(100), x3 = rnorm(100))
models$tutorial <- "
  y ~ b1*x1 + b2*x2 + b3*x3
  b1 == (b2 + b3)^2
  b1 > exp(b2 + b3)
"
cases$tutorial <- describe(sem(models$tutorial, data = Data, control = TIGHT, optim.force.converged = TRUE),
                           "sem(model.constr, data = Data) # lavaan constraints tutorial")

# sem() help page: Bollen's political democracy model with the loadings equal over time written as explicit
# constraints (a1 == a2) and a nonlinear constraint between them
models$pd <- "
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + a1*y2 + b1*y3 + c1*y4
  dem65 =~ y5 + a2*y6 + b2*y7 + c2*y8
  dem60 ~ ind60
  dem65 ~ ind60 + dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
  a1 == a2
  b1 == b2
  c1 == c2 * b1
  ab := a1 * b1
"
pd_fit <- sem(models$pd, data = PD, control = TIGHT, optim.force.converged = TRUE)
cases$pd <- describe(pd_fit, "sem(PD.constr, data = PoliticalDemocracy)")
cases$pd$score <- score_table(pd_fit)
cases$pd$std_all <- std_table(pd_fit)

# Holzinger-Swineford three-factor model with a linear combination of loadings (a == 2*b + c form)
models$hs_linear <- "
  visual =~ x1 + a*x2 + b*x3
  textual =~ x4 + c*x5 + x6
  speed =~ x7 + x8 + x9
  c == 2*a + b - 1
"
hs_linear <- cfa(models$hs_linear, data = HS)
cases$hs_linear <- describe(hs_linear, "cfa(HS.linear, data = HolzingerSwineford1939)")
cases$hs_linear$score <- score_table(hs_linear)
cases$hs_linear_mlr <- describe(cfa(models$hs_linear, data = HS, estimator = "MLR"),
                                "cfa(HS.linear, data = HolzingerSwineford1939, estimator = 'MLR')")

# binding inequality constraints: a loading pushed above its unconstrained value (0.55), one loading kept below
# another, a non-binding one, and a defined parameter
models$hs_inequality <- "
  visual =~ x1 + a*x2 + b*x3
  textual =~ x4 + x5 + d*x6
  speed =~ x7 + x8 + x9
  a > 0.7
  b < a
  d < 2
  ab := a*b
"
cases$hs_inequality <- describe(cfa(models$hs_inequality, data = HS, control = TIGHT, optim.force.converged = TRUE),
                                "cfa(HS.inequality, data = HolzingerSwineford1939)")

# multi-group: a nonlinear equality across groups' loadings
models$hs_groups <- "
  visual =~ x1 + c(v2a, v2b)*x2 + x3
  textual =~ x4 + x5 + x6
  speed =~ x7 + x8 + x9
  v2b == v2a^2 + 0.2
"
cases$hs_groups <- describe(cfa(models$hs_groups, data = HS, group = "school", control = TIGHT, optim.force.converged = TRUE),
                            "cfa(HS.groups, data = HolzingerSwineford1939, group = 'school')")

# incomplete data (FIML, and MLR's FIML-corrected robust indices): a linear equality and a binding inequality
HS.holes <- HS
HS.holes$x1[c(1, 5, 9)] <- NA
HS.holes$x5[c(2, 5, 40)] <- NA
HS.holes$x9[10:12] <- NA
models$hs_fiml <- "
  visual =~ x1 + a*x2 + b*x3
  textual =~ x4 + c*x5 + x6
  speed =~ x7 + x8 + x9
  c == 2*a + b - 1
  b < 0.7
"
for (est in c("ML", "MLR")) {
  cases[[paste0("hs_fiml_", tolower(est))]] <- describe(
    cfa(models$hs_fiml, data = HS.holes, missing = "ml", estimator = est, control = TIGHT, optim.force.converged = TRUE),
    sprintf("cfa(HS.fiml, data = HS.holes, missing = 'ml', estimator = '%s')", est))
}

# ordered items (WLSMV): a linear equality between two loadings
BFI <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)
ITEMS <- c(paste0("A", 1:5), paste0("C", 1:5))
models$ac_ordered <- "
  agree =~ A1 + a2*A2 + a3*A3 + A4 + A5
  consc =~ C1 + C2 + C3 + C4 + C5
  a3 == 1.1*a2
"
cases$ac_ordered <- describe(cfa(models$ac_ordered, data = BFI, ordered = ITEMS),
                             "cfa(AC.constrained, data = bfi, ordered = ITEMS)")

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  tutorial_data = Data,
  models = models,
  cases = cases
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns"),
           "tests/reference/constraints.json")
