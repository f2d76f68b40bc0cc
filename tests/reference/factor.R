# Reference values for issue 3 (factor structure): psych 2.2.9 / GPArotation 2022.10.2 on R 4.2.2.
# Run from the repository root:  Rscript tests/reference/factor.R   (writes tests/reference/factor.json)
suppressPackageStartupMessages({library(psych); library(psychTools); library(GPArotation); library(jsonlite)})
ddir <- "psychometrics/survey/datasets/data"
bfi <- read.csv(file.path(ddir, "bfi.csv"), row.names = 1)[, 1:25]
hs <- read.csv(file.path(ddir, "HolzingerSwineford1939.csv"))[, paste0("x", 1:9)]
thurstone <- as.matrix(read.csv(file.path(ddir, "Thurstone.csv"), row.names = 1))
rownames(thurstone) <- colnames(thurstone)
num <- function(x) if (is.null(x)) NA else unname(as.numeric(x))
mat <- function(x) if (is.null(x)) NULL else unname(unclass(as.matrix(x)))

fa_case <- function(data, nf, fm, rot) {
  warns <- character()
  f <- withCallingHandlers(suppressMessages(fa(data, nfactors = nf, fm = fm, rotate = rot)),
                           warning = function(w) { warns <<- c(warns, conditionMessage(w)); invokeRestart("muffleWarning") })
  list(warnings = as.list(warns), nfactors = nf, method = fm, rotation = rot,
       loadings = mat(f$loadings), phi = mat(f$Phi),
       communality = num(f$communality), uniquenesses = num(f$uniquenesses),
       fit = list(chisq = num(f$STATISTIC), dof = num(f$dof), pvalue = num(f$PVAL),
                  rmsea = num(f$RMSEA[1]), rmsea_ci_lower = num(f$RMSEA[2]), rmsea_ci_upper = num(f$RMSEA[3]),
                  tli = num(f$TLI), bic = num(f$BIC), rms = num(f$rms), crms = num(f$crms),
                  objective = num(f$objective), null_chisq = num(f$null.chisq), null_dof = num(f$null.dof),
                  empirical_chisq = num(f$chi)))
}
rotations <- c("none", "varimax", "quartimax", "promax", "oblimin", "quartimin", "geominQ", "bifactor")
grid <- list()
for (ds in c("bfi", "holzinger_swineford")) {
  data <- if (ds == "bfi") bfi else hs
  for (fm in c("minres", "ml", "pa", "uls")) for (nf in 1:5) for (rot in if (nf == 1) "none" else rotations) {
    case <- tryCatch(fa_case(data, nf, fm, rot), error = function(e) NULL)
    if (!is.null(case)) { case$data <- ds; grid[[length(grid) + 1]] <- case }
  }
}

# extra cases: polychoric correlations inside fa, orthogonal geomin
extra <- list(fa_case(bfi[, 1:10], 2, "minres", "oblimin"), fa_case(hs, 3, "minres", "geominT"))
extra[[1]]$data <- "bfi10"; extra[[2]]$data <- "holzinger_swineford"
poly_case <- suppressWarnings(suppressMessages(fa(bfi[, 1:10], 2, cor = "poly")))
extra[[1]] <- modifyList(extra[[1]], list(cor = "polychoric", loadings = mat(poly_case$loadings), phi = mat(poly_case$Phi),
  communality = num(poly_case$communality), uniquenesses = num(poly_case$uniquenesses),
  fit = list(chisq = num(poly_case$STATISTIC), dof = num(poly_case$dof), pvalue = num(poly_case$PVAL),
             rmsea = num(poly_case$RMSEA[1]), rmsea_ci_lower = num(poly_case$RMSEA[2]),
             rmsea_ci_upper = num(poly_case$RMSEA[3]), tli = num(poly_case$TLI), bic = num(poly_case$BIC),
             rms = num(poly_case$rms), crms = num(poly_case$crms))))

# Thurstone (psychTools overview vignette) and Harman.Burt
thur <- fa_case(thurstone, 3, "minres", "oblimin")
f_thur <- fa(thurstone, 3, n.obs = 213)
thur$fit <- list(chisq = f_thur$STATISTIC, dof = f_thur$dof, pvalue = f_thur$PVAL, rmsea = f_thur$RMSEA[1],
                 rmsea_ci_lower = f_thur$RMSEA[2], rmsea_ci_upper = f_thur$RMSEA[3], tli = f_thur$TLI,
                 bic = f_thur$BIC, rms = f_thur$rms, crms = f_thur$crms, objective = f_thur$objective,
                 null_chisq = f_thur$null.chisq, null_dof = f_thur$null.dof, empirical_chisq = f_thur$chi)
thur_ml <- fa(thurstone, 3, n.obs = 213, fm = "ml", rotate = "varimax")
burt <- suppressWarnings(fa(Harman.Burt, 2, rotate = "none", n.obs = 172))

# factor scores (HS, 3 factors, minres + oblimin): first 6 rows
f_hs <- fa(hs, 3)
scores <- lapply(c(regression = "regression", bartlett = "Bartlett", tenberge = "tenBerge"),
                 function(m) mat(factor.scores(hs, f_hs, method = m)$scores[1:6, ]))

# suitability
kmo <- list(thurstone = KMO(thurstone), hs = KMO(hs), bfi = KMO(bfi))
kmo <- lapply(kmo, function(k) list(overall = k$MSA, per_item = num(k$MSAi)))
bart <- list(thurstone = cortest.bartlett(thurstone, n = 213), hs = cortest.bartlett(hs),
             bfi = cortest.bartlett(bfi))
bart <- lapply(bart, function(b) list(statistic = b$chisq, df = b$df, pvalue = b$p.value))

# polychoric / tetrachoric
pc_bfi <- polychoric(bfi)
unequal <- bfi[, 1:6]; unequal$A1 <- pmin(unequal$A1, 4)   # A1 now has 4 categories: psych sets global = FALSE
pc_uneq0 <- suppressWarnings(polychoric(unequal, correct = 0))
pc_uneq5 <- suppressWarnings(polychoric(unequal, correct = 0.5))
empty_cat <- bfi[, 1:5]; empty_cat$A2[empty_cat$A2 == 3] <- 2   # A2 never answers 3: an empty category
pc_empty <- polychoric(empty_cat)
olsson <- polychoric(as.table(matrix(c(13, 69, 41, 6, 113, 132, 0, 22, 104), 3, 3)), correct = 0)
lsat <- read.csv(file.path(ddir, "lsat6.csv"))
tet_lsat <- tetrachoric(lsat, correct = 0)

# retention: observed eigenvalues (fa.parallel, SMC = TRUE) and MAP (VSS)
par_obs <- function(data) {
  p <- suppressWarnings(suppressMessages(fa.parallel(data, SMC = TRUE, plot = FALSE, n.iter = 2)))
  list(pc = num(p$pc.values), fa = num(p$fa.values))
}
map_vals <- function(data) num(suppressMessages(VSS(data, n = 8, plot = FALSE))$map)

# omega
om_case <- function(x, nf, n.obs = NA) {
  o <- suppressWarnings(suppressMessages(omega(x, nfactors = nf, n.obs = n.obs, plot = FALSE)))
  list(nfactors = nf, omega_h = o$omega_h, omega_lim = o$omega.lim, alpha = o$alpha, omega_tot = o$omega.tot,
       ecv = num(o$ECV), sl = mat(o$schmid$sl), group = mat(o$omega.group))
}

out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  fa_grid = grid,
  fa_extra = extra,
  thurstone_minres_oblimin = thur,
  thurstone_ml_varimax_chisq = thur_ml$STATISTIC,
  harman_burt_minres_none = list(loadings = mat(burt$loadings), communality = num(burt$communality)),
  factor_scores_hs = scores,
  kmo = kmo, bartlett = bart,
  polychoric_bfi = list(rho = mat(pc_bfi$rho), tau = mat(pc_bfi$tau)),
  polychoric_unequal = list(correct0 = mat(pc_uneq0$rho), correct05 = mat(pc_uneq5$rho),
                            tau = mat(pc_uneq0$tau)),
  polychoric_empty_category = list(rho = mat(pc_empty$rho), tau = mat(pc_empty$tau)),
  polychoric_olsson = list(rho = olsson$rho, tau_row = num(olsson$tau.row), tau_col = num(olsson$tau.col)),
  tetrachoric_lsat6 = list(rho = mat(tet_lsat$rho), tau = num(tet_lsat$tau)),
  parallel_observed = list(bfi = par_obs(bfi), hs = par_obs(hs)),
  map = list(bfi = map_vals(bfi), hs = map_vals(hs)),
  omega = list(thurstone = om_case(thurstone, 3, 213), hs = om_case(hs, 3), bfi = om_case(bfi, 5),
               hs2 = om_case(hs, 2))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null"), "tests/reference/factor.json")
