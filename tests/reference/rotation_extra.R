# Reference values for issue 20: extra rotations, EFA eigenvalues / structure / RMSEA interval level, Kendall
# correlations and Cohen's kappa with a custom weight matrix. psych 2.2.9 / GPArotation 2022.10.2 on R 4.2.2.
# Run from the repository root:  Rscript tests/reference/rotation_extra.R   (writes tests/reference/rotation_extra.json)
suppressPackageStartupMessages({library(psych); library(GPArotation); library(jsonlite)})
ddir <- "psychometrics/survey/datasets/data"
bfi <- read.csv(file.path(ddir, "bfi.csv"), row.names = 1)[, 1:25]
hs <- read.csv(file.path(ddir, "HolzingerSwineford1939.csv"))[, paste0("x", 1:9)]
num <- function(x) if (is.null(x)) NA else unname(as.numeric(x))
mat <- function(x) if (is.null(x)) NULL else unname(unclass(as.matrix(x)))

# GPArotation (and psych::equamax) applied to psych's unrotated minres loadings: columns in input order, unsigned
rotations <- list(
  oblimax = function(L) GPArotation::oblimax(L),
  bentlerT = function(L) GPArotation::bentlerT(L),
  bentlerQ = function(L) GPArotation::bentlerQ(L),
  simplimax = function(L) GPArotation::simplimax(L),
  equamax = function(L) psych::equamax(L),
  `oblimin_gamma_0.5` = function(L) GPArotation::oblimin(L, gam = 0.5),
  `oblimin_gamma_-0.5` = function(L) GPArotation::oblimin(L, gam = -0.5)
)
rotate_case <- function(data, nf) {
  unrotated <- unclass(fa(data, nf, rotate = "none")$loadings)
  out <- list(unrotated = mat(unrotated))
  for (name in names(rotations)) {
    r <- tryCatch(rotations[[name]](unrotated), error = function(e) NULL)  # NULL: GPArotation fails
    out[[name]] <- if (is.null(r)) NULL else list(loadings = mat(r$loadings), phi = mat(r$Phi),
                                                   converged = r$convergence)
  }
  out
}
# oblimax from the identity collapses two factors (phi = 1, loadings of 1e5) on HS with 3 factors; 2 factors are proper
gpa <- list(holzinger_swineford = rotate_case(hs, 3), holzinger_swineford_2 = rotate_case(hs, 2),
            bfi = rotate_case(bfi, 5))

# psych::fa with the rotations psych offers (psych's column order and signs)
fa_case <- function(data, nf, rot) {
  f <- suppressWarnings(suppressMessages(fa(data, nfactors = nf, rotate = rot)))
  list(loadings = mat(f$loadings), phi = mat(f$Phi))
}
fa_rot <- list()
for (rot in c("equamax", "bentlerT", "bentlerQ", "simplimax")) {
  fa_rot[[rot]] <- list(holzinger_swineford = fa_case(hs, 3, rot), bfi = fa_case(bfi, 5, rot))
}

# EFA: e.values, Structure, and the RMSEA interval at alpha = .05 (confidence 0.95)
f_hs <- fa(hs, 3, alpha = 0.05)
efa_extra <- list(e_values = num(f_hs$e.values), structure = mat(f_hs$Structure),
                  rmsea = num(f_hs$RMSEA[1]), rmsea_ci_low = num(f_hs$RMSEA[2]), rmsea_ci_high = num(f_hs$RMSEA[3]),
                  structure_varimax = mat(fa(hs, 3, rotate = "varimax")$Structure))

# Kendall correlations: psych::corr.test (tau-b, Fisher-z interval, p from t on n - 2 df, Holm)
ct <- corr.test(bfi[, 1:5], method = "kendall", adjust = "holm")
kendall <- list(r = mat(ct$r), ci_low = num(ct$ci$lower), ci_high = num(ct$ci$upper), p = num(ct$ci$p),
                n = mat(ct$n))

# Cohen's kappa with custom agreement weights (psych::cohen.kappa, w = matrix)
ratings <- na.omit(bfi[, c("A2", "A3")])
w_power <- 1 - abs(outer(1:6, 1:6, "-"))^1.5 / 5^1.5
w_block <- outer(1:6, 1:6, function(i, j) ifelse(i == j, 1, ifelse((i <= 3) == (j <= 3), 0.5, 0)))
kappa_case <- function(w) {
  k <- cohen.kappa(ratings, w = w)
  list(weights = mat(w), kappa = k$weighted.kappa, var = k$var.weighted,
       ci = num(k$confid[2, c(1, 3)]))
}
kappa <- list(power = kappa_case(w_power), block = kappa_case(w_block))

out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  gpa = gpa, fa_rotations = fa_rot, efa_extra = efa_extra, kendall = kendall, kappa = kappa
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null"), "tests/reference/rotation_extra.json")
