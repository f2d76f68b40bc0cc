# Reference values for EFA fm = "wls" / "gls" (issue 20): psych 2.2.9 / GPArotation on R 4.2.2.
# Run from the repository root:  Rscript tests/reference/efa_wls.R   (writes tests/reference/efa_wls.json)
#
# psych::fa(fm = "wls" | "gls") minimises fac()'s internal criterion fit.residuals() with
# optim(method = "L-BFGS-B") but hands optim the ML gradient (FAgr.minres2), so optim stops where its line
# search fails, short of the criterion's minimum. For each case this script records
#   printed: psych::fa(R, nf, n.obs = n, fm, rotate) as psych returns it, with optim's stopping message;
#   optimum: the same psych pipeline (fac's own code: criterion, loadings, rotation, signs, order, fa.stats) with
#            optim replaced by nlminb on fit.residuals with nlminb's finite-difference gradient and tight
#            tolerances, restarted from its own solution until the criterion stops falling; the criterion has
#            local minima, so it is run from psych's start (SMC), from 1 - SMC and from 5 random starts
#            (set.seed(20)), keeping the lowest; the minima reached from SMC and 1 - SMC are recorded;
# and the criterion value at both solutions.
suppressPackageStartupMessages({library(psych); library(GPArotation); library(jsonlite)})
ddir <- "psychometrics/survey/datasets/data"
hs <- read.csv(file.path(ddir, "HolzingerSwineford1939.csv"))[, paste0("x", 1:9)]
bfi <- read.csv(file.path(ddir, "bfi.csv"), row.names = 1)[, 1:25]
num <- function(x) if (is.null(x)) NA else unname(as.numeric(x))
mat <- function(x) if (is.null(x)) NULL else unname(unclass(as.matrix(x)))

# fac()'s local criterion function, taken from psych's own code (not rewritten here)
fac_body <- as.list(body(psych:::fac))
is_def <- vapply(fac_body, function(e) is.call(e) && identical(e[[1]], as.name("<-")) &&
                   identical(as.character(e[[2]]), "fit.residuals"), TRUE)
fit.residuals <- eval(fac_body[[which(is_def)]][[3]])

tight_nlminb <- function(start, fn, lower, upper, ...) {
  ctrl <- list(eval.max = 1e5, iter.max = 1e5, rel.tol = 1e-15, x.tol = 1e-13)
  o <- nlminb(start, fn, ..., lower = lower, upper = upper, control = ctrl)
  repeat {  # restart from the solution until the criterion stops falling
    o2 <- nlminb(o$par, fn, ..., lower = lower, upper = upper, control = ctrl)
    if (o2$objective >= o$objective - 1e-15) break
    o <- o2
  }
  o
}

# psych's fac() with optim() replaced by the tight minimisation (the rest of psych's code unchanged)
optimum_env <- new.env(parent = asNamespace("psych"))
optimum_env$optim <- function(par, fn, gr = NULL, ..., method, lower, upper, control) {
  set.seed(20)
  starts <- c(list(par, 1 - par), replicate(5, runif(length(par), lower, upper), simplify = FALSE))
  runs <- lapply(starts, function(s) tight_nlminb(s, fn, lower, upper, ...))
  optimum_env$runs <- runs
  o <- runs[[which.min(vapply(runs, function(x) x$objective, 0))]]
  list(par = o$par, value = o$objective, convergence = o$convergence, message = o$message)
}
fac_optimum <- psych:::fac
environment(fac_optimum) <- optimum_env
# and with optim() recording psych's own call (same arguments, same result) to report why it stopped
printed_env <- new.env(parent = asNamespace("psych"))
printed_env$optim <- function(...) { o <- stats::optim(...); printed_env$last <- o; o }
fac_printed <- psych:::fac
environment(fac_printed) <- printed_env

summarise <- function(f, psi, crit) {
  list(loadings = mat(f$loadings), phi = mat(f$Phi), communality = num(f$communality),
       uniquenesses = num(f$uniquenesses), psi = num(psi), criterion = crit,
       fit = list(chisq = num(f$STATISTIC), dof = num(f$dof), rmsea = num(f$RMSEA[1]), tli = num(f$TLI),
                  bic = num(f$BIC), rms = num(f$rms), crms = num(f$crms), objective = num(f$objective)))
}

wls_case <- function(name, R, n, nf, fm, rot) {
  S.inv <- solve(R)
  crit <- function(psi) fit.residuals(psi, R, nf, S.inv, fm)
  printed <- suppressMessages(suppressWarnings(fac_printed(R, nf, n.obs = n, fm = fm, rotate = rot)))
  check <- suppressMessages(suppressWarnings(fa(R, nf, n.obs = n, fm = fm, rotate = rot)))
  stopifnot(max(abs(check$loadings - printed$loadings)) == 0)  # the recording copy is psych::fa
  optimum <- suppressMessages(suppressWarnings(fac_optimum(R, nf, n.obs = n, fm = fm, rotate = rot)))
  psi_printed <- printed_env$last$par
  psi_optimum <- 1 - optimum$communalities  # fac stores 1 - the optimiser's solution
  list(data = name, nfactors = nf, method = fm, rotation = rot, n_obs = n,
       printed = c(summarise(printed, psi_printed, crit(psi_printed)),
                   list(optim_message = printed_env$last$message, optim_convergence = printed_env$last$convergence)),
       optimum = summarise(optimum, psi_optimum, crit(psi_optimum)),
       criterion_from_smc_start = optimum_env$runs[[1]]$objective,
       criterion_from_one_minus_smc_start = optimum_env$runs[[2]]$objective,
       criterion_from_random_starts = vapply(optimum_env$runs[-(1:2)], function(x) x$objective, 0))
}

corrs <- list(
  holzinger_swineford = list(R = cor(hs), n = nrow(hs)),
  bfi = list(R = cor(bfi, use = "pairwise"), n = nrow(bfi)),
  harman74 = list(R = Harman74.cor$cov, n = Harman74.cor$n.obs),
  ability_cov = list(R = cov2cor(ability.cov$cov), n = ability.cov$n.obs))
plan <- list(list("holzinger_swineford", 1, "none"), list("holzinger_swineford", 2, "none"),
             list("holzinger_swineford", 2, "varimax"), list("holzinger_swineford", 3, "none"),
             list("holzinger_swineford", 3, "oblimin"), list("holzinger_swineford", 3, "varimax"),
             list("bfi", 5, "oblimin"), list("harman74", 4, "varimax"), list("harman74", 4, "oblimin"),
             list("ability_cov", 2, "none"), list("ability_cov", 2, "oblimin"))
cases <- list()
for (fm in c("wls", "gls")) for (p in plan) {
  d <- corrs[[p[[1]]]]
  cases[[length(cases) + 1]] <- wls_case(p[[1]], d$R, d$n, p[[2]], fm, p[[3]])
}
out <- list(
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  source = "tests/reference/efa_wls.R",
  correlations = list(harman74 = list(names = colnames(Harman74.cor$cov), matrix = mat(Harman74.cor$cov)),
                      ability_cov = list(names = colnames(ability.cov$cov), matrix = mat(cov2cor(ability.cov$cov)))),
  cases = cases)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", null = "null"), "tests/reference/efa_wls.json")
