# Reference values for tests/test_reliability_ordinal.py: ordinal alpha and omega, categorical omega (compRelSEM) and
# AVE of ordered CFA fits, rows with no answer, and psych::ICC with missing ratings (lmer = TRUE).
# R 4.2.2, psych 2.2.9, lavaan 0.6-14, semTools 0.5-6, lme4. Run from the repository root:
#   Rscript tests/reference/reliability_ordinal.R
# Reads the project's bundled CSVs so that R and Python see identical data; writes tests/reference/reliability_ordinal.json.
suppressMessages({library(psych); library(lavaan); library(semTools); library(lme4); library(jsonlite)})

DATA <- "psychometrics/survey/datasets/data"
bfi <- read.csv(file.path(DATA, "bfi.csv"), row.names = 1)
A <- paste0("A", 1:5); C <- paste0("C", 1:5)
# Rows with no answer: the first 7 respondents lose every A and C answer (done identically in the tests).
EMPTY_ROWS <- 1:7
bfi_empty <- bfi
bfi_empty[EMPTY_ROWS, c(A, C)] <- NA
answered <- function(x) x[rowSums(!is.na(x)) > 0, , drop = FALSE]

alpha_values <- function(a) list(alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
                                  g6_smc = a$total[["G6(smc)"]], average_r = a$total$average_r,
                                  signal_noise = a$total[["S/N"]], ase = a$total$ase,
                                  feldt = c(a$feldt$lower.ci[[1]], a$feldt$upper.ci[[1]]))

# ---------------------------------------------------------------- rows with no answer (psych on the same data)
x <- bfi_empty[A]
a_all <- suppressWarnings(alpha(x, keys = "A1"))          # the rows with no answer included
a_kept <- suppressWarnings(alpha(answered(x), keys = "A1"))  # the same rows left out
st <- a_all$item.stats
g <- guttman(bfi_empty[c(A, C)])
s <- splitHalf(bfi_empty[c(A, C)], check.keys = FALSE, key = ifelse(c(A, C) %in% c("A1", "C4", "C5"), -1, 1))
om <- omega(bfi_empty[c(A, C)], nfactors = 2, plot = FALSE)
empty_rows <- list(
  call = "bfi with rows 1-7 of A1-A5, C1-C5 set to NA: psych::alpha(x, keys = 'A1'), alpha(answered rows), guttman, splitHalf(check.keys = FALSE, key = A1 C4 C5 reversed), omega(nfactors = 2)",
  rows = EMPTY_ROWS, n_rows = nrow(bfi_empty), n_answered = nrow(answered(x)),
  alpha_all_rows = alpha_values(a_all), alpha_answered_rows = alpha_values(a_kept),
  item_n = unname(st$n), item_mean = unname(st$mean), item_sd = unname(st$sd), item_r = unname(st$raw.r),
  item_r_cor = unname(st$r.cor), item_r_drop = unname(st$r.drop),
  alpha_if_deleted = unname(a_all$alpha.drop$raw_alpha),
  guttman = c(g$lambda.1, g$lambda.2, g$lambda.3, g$lambda.4, g$lambda.5, g$lambda.6),
  split_half = c(s$maxrb, s$minrb, s$meanr),
  omega = list(omega_h = om$omega_h, omega_total = om$omega.tot, alpha = om$alpha)
)

# ---------------------------------------------------------------- ordinal alpha (Zumbo, Gadermann & Zeisser 2007)
ordinal_alpha <- function(items, keys) {
  x <- answered(bfi[items])
  rho <- polychoric(x)$rho
  a <- suppressWarnings(alpha(rho, keys = keys, n.obs = nrow(x)))
  ci <- alpha.ci(a$total$raw_alpha, nrow(x), length(items))
  list(call = sprintf("psych::alpha(psych::polychoric(bfi[%s])$rho, keys = %s, n.obs = %d); alpha.ci(alpha, n, k)",
                      deparse(items), deparse(keys), nrow(x)),
       items = items, keys = as.list(keys), n_obs = nrow(x),
       alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, g6_smc = a$total[["G6(smc)"]],
       average_r = a$total$average_r, ase = a$total$ase, feldt = c(ci$lower.ci[[1]], ci$upper.ci[[1]]))
}
alpha_ordinal <- list(agreeableness = ordinal_alpha(A, "A1"), conscientiousness = ordinal_alpha(C, c("C4", "C5")))

# ---------------------------------------------------------------- omega(poly = TRUE)
omega_poly <- function(items, nf) {
  o <- omega(bfi[items], nfactors = nf, poly = TRUE, plot = FALSE)
  list(call = sprintf("psych::omega(bfi[%s], nfactors = %d, poly = TRUE)", deparse(items), nf),
       items = items, nfactors = nf, omega_h = o$omega_h, omega_total = o$omega.tot,
       omega_lim = o$omega.lim, alpha = o$alpha)
}
omega_ordinal <- list(AC = omega_poly(c(A, C), 2), all25 = omega_poly(colnames(bfi)[1:25], 5))

# ---------------------------------------------------------------- compRelSEM / AVE of ordered fits
ac_model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
fit_ord <- cfa(ac_model, data = na.omit(bfi[c(A, C)]), ordered = c(A, C))
one_factor <- "agree =~ A2 + A3 + A4 + A5"
fit_ord1 <- cfa(one_factor, data = na.omit(bfi[A[-1]]), ordered = A[-1], std.lv = TRUE)
rel_case <- function(fit, call) list(call = call,
  omega_obs = as.list(compRelSEM(fit)), omega_implied = as.list(compRelSEM(fit, obs.var = FALSE)),
  omega_continuous_scale = as.list(compRelSEM(fit, ord.scale = FALSE)),
  ave = as.list(AVE(fit)))
composite <- list(
  AC = rel_case(fit_ord, "lavaan::cfa(agree =~ A1..A5; consc =~ C1..C5, na.omit(bfi), ordered = TRUE); semTools::compRelSEM(fit[, obs.var = FALSE | ord.scale = FALSE]); semTools::AVE(fit)"),
  A4 = rel_case(fit_ord1, "lavaan::cfa(agree =~ A2 + A3 + A4 + A5, na.omit(bfi[A2:A5]), ordered = TRUE, std.lv = TRUE)"))

# ---------------------------------------------------------------- ICC with missing ratings (lmer = TRUE)
icc_case <- function(x, call, lmer = TRUE) {
  r <- suppressMessages(suppressWarnings(ICC(x, lmer = lmer)))
  res <- r$results
  list(call = call, n = nrow(x), k = ncol(x),
       icc = res$ICC, f = res$F, df1 = res$df1, df2 = res$df2, p = res$p,
       lower = res[["lower bound"]], upper = res[["upper bound"]],
       variance = if (lmer) unname(r$lme[1:3, 1]) else NULL)
}
ratings <- answered(bfi[1:300, c("A2", "A3", "A4", "A5")])
sf <- read.csv(file.path(DATA, "shrout_fleiss.csv"))
sf_missing <- sf; sf_missing[2, 3] <- NA; sf_missing[5, 1] <- NA
icc <- list(
  bfi = icc_case(ratings, "psych::ICC(bfi[1:300, A2:A5] (rows with an answer), lmer = TRUE)"),
  shrout_fleiss_missing = icc_case(sf_missing, "psych::ICC(shrout_fleiss with [2, 3] and [5, 1] missing, lmer = TRUE)"),
  shrout_fleiss_reml = icc_case(sf, "psych::ICC(shrout_fleiss, lmer = TRUE)"))

out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  lavaan = as.character(packageVersion("lavaan")), semTools = as.character(packageVersion("semTools")),
                  lme4 = as.character(packageVersion("lme4"))),
  empty_rows = empty_rows, alpha_ordinal = alpha_ordinal, omega_ordinal = omega_ordinal,
  composite = composite, icc = icc)
write_json(out, "tests/reference/reliability_ordinal.json", digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
