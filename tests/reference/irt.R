# Reference values for issue 18 (item response theory): eRm 1.0.2 on R 4.2.2 (Debian r-cran-erm).
# Run from the repository root:  Rscript tests/reference/irt.R   (writes tests/reference/irt.json)
# eRm::RM fits the dichotomous Rasch model by CONDITIONAL maximum likelihood (sum-zero item parameters). Its
# estimates are not the marginal (MML) estimates of psychometrics.irt(model = "rasch"): the two coincide only up to
# sampling error (they are equal when the MML latent density reproduces the observed raw-score distribution, de
# Leeuw & Verhelst 1986). The test compares the centred difficulties within a fraction of their standard errors.
# mirt and ltm are not in Debian, so the published/printed mirt and ltm values are in irt_published.json.
suppressPackageStartupMessages({library(eRm); library(jsonlite)})
fit <- function(file) {
  x <- read.csv(file)
  m <- RM(x, sum0 = TRUE)
  list(call = sprintf("eRm::RM(read.csv('%s'), sum0 = TRUE)", file),
       difficulty = as.numeric(-m$betapar), se_difficulty = as.numeric(m$se.beta),
       conditional_loglik = m$loglik, items = colnames(x))
}
out <- list(
  r_version = R.version.string, erm_version = as.character(packageVersion("eRm")),
  lsat6 = fit("psychometrics/survey/datasets/data/lsat6.csv"),
  lsat7 = fit("psychometrics/survey/datasets/data/lsat7.csv"))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/irt.json")
