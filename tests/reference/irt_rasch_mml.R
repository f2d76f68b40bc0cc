# Reference for the 1PL (common slope) of LSAT6 by marginal maximum likelihood, computed with lme4's glmer:
# logit P(x_ij = 1) = beta_j + u_i, u_i ~ N(0, sigma^2) is the 1PL with a = sigma and b_j = -beta_j / sigma.
# Adaptive Gauss-Hermite quadrature with 25 nodes (nAGQ = 25). Writes irt_rasch_mml.json.
# Run from the repository root: Rscript tests/reference/irt_rasch_mml.R
library(lme4)
library(jsonlite)
lsat6 <- read.csv("psychometrics/survey/datasets/data/lsat6.csv")
long <- data.frame(person = factor(rep(seq_len(nrow(lsat6)), times = ncol(lsat6))),
                   item = factor(rep(names(lsat6), each = nrow(lsat6)), levels = names(lsat6)),
                   x = unlist(lsat6, use.names = FALSE))
fit <- glmer(x ~ 0 + item + (1 | person), data = long, family = binomial, nAGQ = 25,
             control = glmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
beta <- unname(fixef(fit))
sigma <- unname(sqrt(VarCorr(fit)$person[1, 1]))
out <- list(
  source = "lme4::glmer(x ~ 0 + item + (1 | person), family = binomial, nAGQ = 25) on psych::lsat6 (tests/reference/irt_rasch_mml.R)",
  r_version = R.version.string, lme4_version = as.character(packageVersion("lme4")),
  items = names(lsat6), loglik = as.numeric(logLik(fit)), a = sigma, b = -beta / sigma, intercept = beta)
writeLines(toJSON(out, digits = 10, auto_unbox = TRUE, pretty = TRUE), "tests/reference/irt_rasch_mml.json")
