# Reference values for tests/test_reliability.py and tests/test_icc.py, written to reliability.json.
# Run from the repository root:  Rscript tests/reference/reliability.R
# Uses the package's bundled CSVs so that R and Python see identical data.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
data_dir <- "psychometrics/survey/datasets/data"
bfi <- read.csv(file.path(data_dir, "bfi.csv"), row.names = 1)
attitude <- read.csv(file.path(data_dir, "attitude.csv"))
sf <- read.csv(file.path(data_dir, "shrout_fleiss.csv"))

alpha_case <- function(x, keys = NULL, call) {
  a <- suppressWarnings(alpha(x, keys = keys))
  stats <- a$item.stats
  list(
    call = call,
    items = colnames(x), keys = if (is.null(keys)) list() else as.list(keys),
    alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, g6_smc = a$total[["G6(smc)"]],
    average_r = a$total$average_r, signal_noise = a$total[["S/N"]], ase = a$total$ase,
    n_obs = nrow(x),
    feldt = c(a$feldt$lower.ci[[1]], a$feldt$upper.ci[[1]]),
    duhachek = c(a$total$raw_alpha - 1.96 * a$total$ase, a$total$raw_alpha + 1.96 * a$total$ase),
    item_n = unname(stats$n), item_mean = unname(stats$mean), item_sd = unname(stats$sd),
    item_r = unname(stats$raw.r), item_r_cor = unname(stats$r.cor), item_r_drop = unname(stats$r.drop),
    alpha_if_deleted = unname(a$alpha.drop$raw_alpha), std_alpha_if_deleted = unname(a$alpha.drop$std.alpha)
  )
}

bfi_scales <- list(
  agreeableness = list(items = paste0("A", 1:5), keys = "A1"),
  conscientiousness = list(items = paste0("C", 1:5), keys = c("C4", "C5")),
  extraversion = list(items = paste0("E", 1:5), keys = c("E1", "E2")),
  neuroticism = list(items = paste0("N", 1:5), keys = NULL),
  openness = list(items = paste0("O", 1:5), keys = c("O2", "O5"))
)
alpha_cases <- lapply(names(bfi_scales), function(s) {
  sc <- bfi_scales[[s]]
  alpha_case(bfi[sc$items], sc$keys,
             sprintf("psych::alpha(bfi[%s], keys = %s) (pairwise, bfi with missing values)",
                     deparse(sc$items), deparse(sc$keys)))
})
names(alpha_cases) <- names(bfi_scales)
alpha_cases$agreeableness_listwise <- alpha_case(na.omit(bfi[paste0("A", 1:5)]), "A1",
  "psych::alpha(na.omit(bfi[paste0('A', 1:5)]), keys = 'A1')")
alpha_cases$attitude <- alpha_case(attitude, NULL, "psych::alpha(attitude)")
alpha_cases$attitude_reversed <- alpha_case(attitude, c("complaints", "critical"),
  "psych::alpha(attitude, keys = c('complaints', 'critical'))")

# splitHalf: cov2cor of pairwise covariances; check.keys = FALSE with explicit keys.
split_case <- function(x, keys, call) {
  key_vector <- ifelse(colnames(x) %in% keys, -1, 1)
  s <- splitHalf(x, check.keys = FALSE, key = key_vector)
  list(call = call, items = colnames(x), keys = as.list(keys),
       maximum = s$maxrb, minimum = s$minrb, average = s$meanr)
}
split_cases <- list(
  bfi_A_C = split_case(bfi[c(paste0("A", 1:5), paste0("C", 1:5))], c("A1", "C4", "C5"),
                       "psych::splitHalf(bfi[c(A1:A5, C1:C5)], check.keys = FALSE, key = A1, C4, C5 reversed)"),
  bfi_16 = split_case(bfi[c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), "N1")],
                      c("A1", "C4", "C5", "E1", "E2"),
                      "psych::splitHalf(bfi[c(A1:A5, C1:C5, E1:E5, N1)], check.keys = FALSE, key = A1 C4 C5 E1 E2 reversed)"),
  attitude_6 = split_case(attitude[1:6], character(0), "psych::splitHalf(attitude[1:6], check.keys = FALSE)")
)
# Odd number of items: psych 2.2.9 evaluates only the first half of the splits in lexical order, so the
# reference for every split is computed here from splitHalf's own definition (4 c_AB / sum(R)) with combn.
all_splits <- function(R) {
  k <- ncol(R); combos <- combn(k, k %/% 2)
  v <- apply(combos, 2, function(a) { ind <- rep(0, k); ind[a] <- 1; 4 * sum(R * outer(ind, 1 - ind)) / sum(R) })
  list(maximum = max(v), minimum = min(v), average = mean(v), n_splits = length(v))
}
att_R <- cov2cor(cov(attitude, use = "pairwise"))
split_cases$attitude_7_all_splits <- c(list(call = "every split of attitude (7 items) by 4 c_AB / sum(R) with combn(7, 3)",
                                            items = colnames(attitude), keys = list()), all_splits(att_R))
psych_att <- splitHalf(attitude, check.keys = FALSE)
split_cases$attitude_7_all_splits$psych_first_half_only <- list(maximum = psych_att$maxrb, minimum = psych_att$minrb,
                                                                average = psych_att$meanr)

guttman_case <- function(x, call) {
  g <- suppressWarnings(guttman(x))
  list(call = call, items = colnames(x), lambda1 = g$lambda.1, lambda2 = g$lambda.2, lambda3 = g$lambda.3,
       lambda4 = g$lambda.4, lambda5 = g$lambda.5, lambda6 = g$lambda.6)
}
guttman_cases <- list(
  attitude = guttman_case(attitude, "psych::guttman(attitude)"),
  neuroticism = guttman_case(bfi[paste0("N", 1:5)], "psych::guttman(bfi[paste0('N', 1:5)]) (pairwise correlations)")
)

icc_case <- function(x, call) {
  r <- ICC(x, lmer = FALSE)$results
  list(call = call, forms = r$type, icc = r$ICC, f = r$F, df1 = r$df1, df2 = r$df2, pvalue = r$p,
       ci_low = r[["lower bound"]], ci_high = r[["upper bound"]])
}
icc_cases <- list(
  shrout_fleiss = icc_case(sf, "psych::ICC(sf, lmer = FALSE)"),
  attitude_1_4 = icc_case(attitude[1:4], "psych::ICC(attitude[1:4], lmer = FALSE)")
)
icc_cases$attitude_1_4_lmer <- local({
  r <- ICC(attitude[1:4])$results
  list(call = "psych::ICC(attitude[1:4]) (lmer = TRUE, psych's default)", icc = r$ICC)
})
retest_icc <- ICC(attitude[c("rating", "complaints")], lmer = FALSE)$results
retest_cor <- cor.test(attitude$rating, attitude$complaints)
retest <- list(
  call = "psych::ICC(attitude[c('rating', 'complaints')], lmer = FALSE); cor.test(attitude$rating, attitude$complaints)",
  forms = retest_icc$type, icc = retest_icc$ICC,
  ci_low = retest_icc[["lower bound"]], ci_high = retest_icc[["upper bound"]],
  pearson = unname(retest_cor$estimate), pearson_ci = as.numeric(retest_cor$conf.int)
)

out <- list(
  generated_by = "tests/reference/reliability.R",
  r_version = R.version.string,
  psych_version = as.character(packageVersion("psych")),
  lme4_version = as.character(packageVersion("lme4")),
  alpha = alpha_cases, split_half = split_cases, guttman = guttman_cases, icc = icc_cases, test_retest = retest
)
write_json(out, "tests/reference/reliability.json", digits = NA, auto_unbox = TRUE, pretty = TRUE)
