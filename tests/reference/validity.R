# Reference values for tests/test_validity.py, tests/test_mtmm.py and tests/test_criterion.py.
# Run from the repository root:  Rscript tests/reference/validity.R
# Writes tests/reference/validity.json (and tests/reference/mtmm_simulated.csv).
# The data are read from the package's own CSV copies so that R and Python see identical numbers.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

data_dir <- "psychometrics/survey/datasets/data"
hs <- read.csv(file.path(data_dir, "HolzingerSwineford1939.csv"))
bfi <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)

mat <- function(m) list(rows = rownames(m), cols = colnames(m), values = unname(as.matrix(m)))
vec <- function(v) as.list(v)

fit_summary <- function(fit) {
  est <- lavInspect(fit, "est")
  list(
    lambda = mat(est$lambda), theta = mat(est$theta), psi = mat(est$psi),
    sample_cov = mat(lavInspect(fit, "sampstat")$cov),
    implied_cov = mat(lavInspect(fit, "fitted")$cov),
    cor_lv = mat(lavInspect(fit, "cor.lv")),
    comp_rel = vec(compRelSEM(fit)),
    comp_rel_fitted = vec(compRelSEM(fit, obs.var = FALSE)),
    comp_rel_tau_eq = vec(compRelSEM(fit, tau.eq = TRUE)),
    ave = vec(AVE(fit))
  )
}

# --- Holzinger-Swineford 3-factor model -----------------------------------------------------------------------
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
hs_fit <- cfa(hs_model, data = hs)
hs_out <- fit_summary(hs_fit)
hs_out$model <- hs_model
hs_out$htmt2 <- mat(htmt(hs_model, data = hs, htmt2 = TRUE))
hs_out$htmt_arithmetic <- mat(htmt(hs_model, data = hs, htmt2 = FALSE))
hs_out$htmt_arithmetic_signed <- mat(htmt(hs_model, data = hs, htmt2 = FALSE, absolute = FALSE))

# Cross-loading x9 on visual: semTools::AVE leaves factors with a cross-loading indicator NA.
cross_model <- paste(hs_model, "\n visual =~ x9")
cross_fit <- cfa(cross_model, data = hs)
cross_out <- list(model = cross_model, comp_rel = vec(compRelSEM(cross_fit)), ave = vec(AVE(cross_fit)),
                  lambda = mat(lavInspect(cross_fit, "est")$lambda), psi = mat(lavInspect(cross_fit, "est")$psi),
                  sample_cov = mat(lavInspect(cross_fit, "sampstat")$cov))

# Two groups (school): one row per group.
mg_fit <- cfa(hs_model, data = hs, group = "school")
mg_est <- lavInspect(mg_fit, "est")
mg_samp <- lavInspect(mg_fit, "sampstat")
mg_out <- list(
  groups = lavInspect(mg_fit, "group.label"),
  comp_rel = lapply(as.data.frame(compRelSEM(mg_fit))[, -1], identity),
  ave = lapply(as.data.frame(AVE(mg_fit))[, -1], identity),
  lambda = lapply(mg_est, function(g) mat(g$lambda)), psi = lapply(mg_est, function(g) mat(g$psi)),
  sample_cov = lapply(mg_samp, function(g) mat(g$cov))
)

# --- bfi: five factors on the raw items (listwise deletion, as htmt's lavCor and cfa default) ------------------
bfi_model <- paste(
  "agree =~ A1 + A2 + A3 + A4 + A5", "conscientious =~ C1 + C2 + C3 + C4 + C5",
  "extraversion =~ E1 + E2 + E3 + E4 + E5", "neuroticism =~ N1 + N2 + N3 + N4 + N5",
  "openness =~ O1 + O2 + O3 + O4 + O5", sep = "\n")
bfi_items <- bfi[, 1:25]
bfi_fit <- cfa(bfi_model, data = bfi_items)
bfi_out <- fit_summary(bfi_fit)
bfi_out$model <- bfi_model
bfi_out$n_listwise <- lavInspect(bfi_fit, "nobs")
bfi_out$htmt2 <- mat(htmt(bfi_model, data = bfi_items, htmt2 = TRUE))
bfi_out$htmt_arithmetic <- mat(htmt(bfi_model, data = bfi_items, htmt2 = FALSE))
bfi_out$htmt_arithmetic_signed <- mat(htmt(bfi_model, data = bfi_items, htmt2 = FALSE, absolute = FALSE))

# --- correlations: cor.test (Fisher z CI), p.adjust ------------------------------------------------------------
pair_table <- function(data, method) {
  vars <- names(data)
  rows <- list()
  for (i in 1:(length(vars) - 1)) for (j in (i + 1):length(vars)) {
    ok <- complete.cases(data[, c(i, j)])
    ct <- suppressWarnings(cor.test(data[ok, i], data[ok, j], method = method, exact = FALSE))
    n <- sum(ok)
    z <- atanh(ct$estimate)
    half <- qnorm(0.975) / sqrt(n - 3)
    rows[[length(rows) + 1]] <- list(x = vars[i], y = vars[j], r = unname(ct$estimate),
                                     ci_low = tanh(z - half), ci_high = tanh(z + half),
                                     pvalue = ct$p.value, n = n)
  }
  p <- sapply(rows, `[[`, "pvalue")
  for (adj in c("holm", "bonferroni", "BH")) {
    padj <- p.adjust(p, method = adj)
    for (k in seq_along(rows)) rows[[k]][[paste0("p_", adj)]] <- padj[k]
  }
  rows
}
corr_data <- bfi[1:200, c("A1", "A2", "C1", "E1", "N1")]
correlations_out <- list(
  rows = "bfi rows 1-200, columns A1 A2 C1 E1 N1 (pairwise complete)",
  pearson = pair_table(corr_data, "pearson"),
  spearman = pair_table(corr_data, "spearman"),
  polychoric = mat(polychoric(corr_data, correct = 0)$rho)
)

# --- criterion validity and known groups: HS scale scores -------------------------------------------------------
hs$visual_score <- rowMeans(hs[, c("x1", "x2", "x3")])
ct <- cor.test(hs$visual_score, hs$x7)
welch <- oneway.test(visual_score ~ factor(grade), data = hs[!is.na(hs$grade), ], var.equal = FALSE)
welch3 <- oneway.test(x1 ~ factor(ageyr), data = hs[hs$ageyr %in% c(12, 13, 14), ], var.equal = FALSE)
sub3 <- hs[hs$ageyr %in% c(12, 13, 14), ]
ss_total <- sum((sub3$x1 - mean(sub3$x1))^2)
ss_between <- sum(tapply(sub3$x1, sub3$ageyr, function(v) length(v) * (mean(v) - mean(sub3$x1))^2))
two <- split(hs$visual_score, hs$school)
tt <- t.test(two$Pasteur, two[["Grant-White"]], var.equal = FALSE)
criterion_out <- list(
  criterion = list(r = unname(ct$estimate), ci_low = ct$conf.int[1], ci_high = ct$conf.int[2],
                   pvalue = ct$p.value, n = nrow(hs)),
  welch_age = list(f = unname(welch3$statistic), df1 = unname(welch3$parameter[1]),
                   df2 = unname(welch3$parameter[2]), pvalue = welch3$p.value, eta_squared = ss_between / ss_total),
  welch_t_school = list(t = unname(tt$statistic), df = unname(tt$parameter), pvalue = tt$p.value)
)

# --- Campbell & Fiske (1959) Table 1 and a CFA-MTMM (correlated traits, correlated uniqueness) ------------------
cf_names <- c("A1", "B1", "C1", "A2", "B2", "C2", "A3", "B3", "C3")
cf_lower <- c(.89, .51, .89, .38, .37, .76, .57, .22, .09, .93, .22, .57, .10, .68, .94,
              .11, .11, .46, .59, .58, .84, .56, .22, .11, .67, .42, .33, .94,
              .23, .58, .12, .43, .66, .34, .67, .92, .11, .11, .45, .34, .32, .58, .58, .60, .85)
cf <- matrix(0, 9, 9, dimnames = list(cf_names, cf_names))
cf[upper.tri(cf, diag = TRUE)] <- cf_lower  # column-major upper triangle = row-major lower triangle
cf <- t(cf)
cf[upper.tri(cf)] <- t(cf)[upper.tri(cf)]
cf_cor <- cf
diag(cf_cor) <- 1
set.seed(20260101)
sim <- as.data.frame(MASS::mvrnorm(250, mu = rep(0, 9), Sigma = cf_cor))
write.csv(round(sim, 6), "tests/reference/mtmm_simulated.csv", row.names = FALSE)
sim <- read.csv("tests/reference/mtmm_simulated.csv")
mtmm_model <- paste(
  "A =~ A1 + A2 + A3", "B =~ B1 + B2 + B3", "C =~ C1 + C2 + C3",
  "A1 ~~ B1 + C1", "B1 ~~ C1", "A2 ~~ B2 + C2", "B2 ~~ C2", "A3 ~~ B3 + C3", "B3 ~~ C3", sep = "\n")
mtmm_fit <- cfa(mtmm_model, data = sim)
mtmm_pe <- parameterEstimates(mtmm_fit)
mtmm_out <- list(
  matrix = mat(cf), eigen_min = min(eigen(cf_cor)$values),
  cfa_model = mtmm_model,
  cfa_fit = as.list(fitMeasures(mtmm_fit, c("npar", "chisq", "df", "cfi", "rmsea", "srmr"))),
  cfa_estimates = mtmm_pe[, c("lhs", "op", "rhs", "est", "se")]
)

versions <- list(R = paste(R.version$major, R.version$minor, sep = "."),
                 lavaan = as.character(packageVersion("lavaan")),
                 semTools = as.character(packageVersion("semTools")),
                 psych = as.character(packageVersion("psych")),
                 MASS = as.character(packageVersion("MASS")))
out <- list(versions = versions, holzinger_swineford = hs_out, hs_cross_loading = cross_out,
            hs_by_school = mg_out, bfi = bfi_out, correlations = correlations_out,
            criterion = criterion_out, mtmm = mtmm_out)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), "tests/reference/validity.json")
