# Reference for the oblimin robustness of issue 19: a constructed 8 x 3 loading matrix on which GPArotation's
# oblimin (GPFoblq, maxit = 1000) stops before convergence; with maxit = 10000 it converges.
# GPArotation 2022.10.2 on R 4.2.2.  Run from the repository root:  Rscript tests/reference/rotation_slow.R
suppressPackageStartupMessages({library(GPArotation); library(jsonlite)})
# numpy.random.default_rng(214): 8 x 3 normal loadings, columns scaled, rounded to 4 decimals (column-major)
A <- matrix(c(0.0418, -0.0857, -0.0203, 0.0886, 0.0878, 0.3325, -0.0192, -0.194,
              0.9502, 0.6214, 0.7662, -0.8417, -0.4598, 0.7109, 1.7895, 0.1075,
              -0.0973, 0.1516, 0.1652, 0.1817, 0.5091, 0.0754, -0.0736, 0.1085), nrow = 8)
short <- oblimin(A, gam = 0, maxit = 1000, eps = 1e-5)
long <- oblimin(A, gam = 0, maxit = 10000, eps = 1e-5)
out <- list(
  source = "GPArotation::oblimin(A, gam = 0, eps = 1e-5), maxit = 1000 and 10000",
  versions = list(R = paste(R.version$major, R.version$minor, sep = "."),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  A = unname(A),
  converged_1000 = short$convergence,
  converged_10000 = long$convergence,
  loadings = unname(unclass(long$loadings)),
  phi = unname(long$Phi)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/rotation_slow.json")
