# Reference values for tests/test_cfa_predict_ordered.py: factor scores of ordered items (lavPredict's EBM scores).
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/predict_ordered.R
# Writes tests/reference/predict_ordered.json: the categorised data (so R and Python read identical data), and per
# case lavPredict(fit) (method "EBM", lavaan's default for ordered items) and the same scores optimised to tight
# convergence ("ebm_exact"); for the "missing" case also lavPredict(fit, method = "ML") and its exact minimiser.
#
# Why two sets: lavPredict minimises each respondent's objective with optim(BFGS, reltol = 1e-8) from eta = 0 and a
# numerical gradient, so its scores are only accurate to a few 1e-4 (lavaan's nlminb option gives scores ~4e-4
# away). "ebm_exact" minimises the SAME objective, built from lavaan's own internal functions exactly as
# lav_predict_eta_ebm_ml(ML = FALSE) builds it,
#   f(eta) = 0.5 (eta - E(eta))' VETA^-1 (eta - E(eta)) - sum_{answered items} log P(y_j | eta),
#   P(y_j = k | eta) = Phi((tau_jk - yhat_j)/theta_sd_j) - Phi((tau_j,k-1 - yhat_j)/theta_sd_j)  (lav_predict_fy_eta.i)
# with nlminb (rel.tol 1e-14) and a Newton polish with lavaan's objective's numerical derivatives; the largest
# gradient left is recorded ("max_gradient").
suppressMessages(library(lavaan))
library(jsonlite)

HS <- read.csv("psychometrics/survey/datasets/data/HolzingerSwineford1939.csv")
ITEMS <- paste0("x", 1:6)
cut_item <- function(x, k) as.integer(cut(x, quantile(x, seq(0, 1, length.out = k + 1)), include.lowest = TRUE))
CAT <- data.frame(school = HS$school)
for (j in seq_along(ITEMS)) CAT[[ITEMS[j]]] <- cut_item(HS[[ITEMS[j]]], c(4, 3, 4, 3, 4, 5)[j])
# missing answers: a few cells, and one respondent who answered nothing (lavaan drops that row)
MISS <- CAT
MISS$x2[seq(5, 301, by = 17)] <- NA
MISS$x5[seq(3, 301, by = 23)] <- NA
MISS$x6[c(10, 11)] <- NA
MISS$x4[c(10, 40)] <- NA
MISS[7, ITEMS] <- NA

MODEL <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"

# lavaan's EBM objective for respondent i of group g, from lavaan's internal functions; ML = TRUE: the objective
# of lavPredict(method = "ML") (lav_predict_eta_ebm_ml(ML = TRUE): the prior's inverse covariance replaced by
# 1e-5 I, plus a constant 1)
ebm_objective <- function(fit, g, i, ML = FALSE) {
  lm <- fit@Model
  Vinv <- solve(lavaan:::computeVETAx(lavmodel = lm)[[g]])
  if (ML) Vinv <- diag(nrow(Vinv)) * 1e-05
  EETA <- lavaan:::computeEETAx(lavmodel = lm, lavsamplestats = fit@SampleStats, eXo = fit@Data@eXo,
                                nobs = lapply(fit@Data@X, NROW), remove.dummy.lv = TRUE)[[g]]
  theta.sd <- sqrt(diag(lavaan:::computeTHETA(lavmodel = lm)[[g]]))
  th <- lavaan:::computeTH(lavmodel = lm)[[g]]
  y.i <- fit@Data@X[[g]][i, , drop = FALSE]
  mu.i <- EETA[i, , drop = FALSE]
  function(eta) {
    # as lav_predict_eta_ebm_ml, which calls lav_predict_fy_eta.i without g (its default g = 1: the model
    # matrices giving yhat are group 1's; theta.sd and the thresholds are group g's)
    log.fy <- lavaan:::lav_predict_fy_eta.i(lavmodel = lm, lavdata = fit@Data, lavsamplestats = fit@SampleStats,
                                           y.i = y.i, x.i = NULL, eta.i = matrix(eta, nrow = 1L),
                                           theta.sd = theta.sd, th = th, th.idx = lm@th.idx[[g]], log = TRUE)
    diff <- t(eta) - mu.i
    ML + as.numeric(0.5 * diff %*% Vinv %*% t(diff)) - sum(log.fy, na.rm = TRUE)
  }
}

num_grad <- function(f, x, h = 1e-5) sapply(seq_along(x), function(j) {
  e <- replace(numeric(length(x)), j, h); (f(x + e) - f(x - e)) / (2 * h) })
num_hess <- function(f, x, h = 1e-4) {
  k <- length(x); H <- matrix(0, k, k)
  for (a in 1:k) for (b in 1:k) {
    ea <- replace(numeric(k), a, h); eb <- replace(numeric(k), b, h)
    H[a, b] <- (f(x + ea + eb) - f(x + ea - eb) - f(x - ea + eb) + f(x - ea - eb)) / (4 * h * h)
  }
  H
}

ebm_exact <- function(fit, ML = FALSE) {
  out <- list(); worst <- 0
  for (g in seq_len(fit@Data@ngroups)) {
    X <- fit@Data@X[[g]]
    nfac <- length(lavNames(fit, "lv"))
    scores <- matrix(NA_real_, nrow(X), nfac)
    for (i in seq_len(nrow(X))) {
      if (all(is.na(X[i, ]))) next
      f <- ebm_objective(fit, g, i, ML)
      eta <- nlminb(numeric(nfac), f, control = list(rel.tol = 1e-14, x.tol = 1e-12, eval.max = 5000,
                                                      iter.max = 2000))$par
      for (step in 1:3) eta <- eta - solve(num_hess(f, eta), num_grad(f, eta))  # Newton polish
      worst <- max(worst, abs(num_grad(f, eta)))
      scores[i, ] <- eta
    }
    colnames(scores) <- lavNames(fit, "lv")
    out[[g]] <- as.data.frame(scores)
  }
  list(scores = out, max_gradient = worst)
}

describe <- function(fit, call) {
  pred <- lavPredict(fit)
  if (!is.list(pred) || is.data.frame(pred)) pred <- list(pred)
  exact <- ebm_exact(fit)
  pe <- parameterEstimates(fit)
  list(call = call, lavpredict = lapply(pred, as.data.frame), ebm_exact = exact$scores,
       max_gradient = exact$max_gradient,
       max_difference = max(abs(unlist(lapply(seq_along(pred), function(g) as.matrix(pred[[g]]) -
                                                as.matrix(exact$scores[[g]])))), na.rm = TRUE),
       groups = lavInspect(fit, "group.label"),
       estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est))
}

cases <- list()
fit_missing <- cfa(MODEL, data = MISS, ordered = ITEMS, missing = "pairwise")
cases$missing <- describe(fit_missing, "cfa(MODEL, data = MISS, ordered = ITEMS, missing = 'pairwise')")
# method = "ML" (what lavPredict runs for "Bartlett" with ordered items): for a respondent at the same extreme
# category of every answered item the likelihood keeps rising, only the 1e-5 ridge stops it, the objective is
# nearly flat and lavPredict's optim stops far from the minimum; "ml_extreme" marks those rows
ml_exact <- ebm_exact(fit_missing, ML = TRUE)
X <- fit_missing@Data@X[[1]]
nlev <- apply(X, 2, max, na.rm = TRUE)
cases$missing$ml_lavpredict <- as.data.frame(lavPredict(fit_missing, method = "ML"))
cases$missing$ml_exact <- ml_exact$scores[[1]]
cases$missing$ml_max_gradient <- ml_exact$max_gradient
cases$missing$ml_extreme <- apply(X, 1, function(y) {
  answered <- !is.na(y)
  any(answered) && (all(y[answered] == 1) || all(y[answered] == nlev[answered]))
})
fit_groups <- cfa(MODEL, data = CAT, ordered = ITEMS, group = "school",
                  group.equal = c("thresholds", "loadings"))
cases$groups <- describe(fit_groups, paste("cfa(MODEL, data = CAT, ordered = ITEMS, group = 'school',",
                                           "group.equal = c('thresholds', 'loadings'))"))
fit_configural <- cfa(MODEL, data = CAT, ordered = ITEMS, group = "school")
cases$configural <- describe(fit_configural, "cfa(MODEL, data = CAT, ordered = ITEMS, group = 'school')")

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  model = MODEL, items = ITEMS,
  data_complete = CAT, data_missing = MISS,
  cases = cases
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns"),
           "tests/reference/predict_ordered.json")
