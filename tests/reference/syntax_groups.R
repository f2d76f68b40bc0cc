# Reference values for tests/test_sem_syntax_groups.py: lavaan syntax in multi-group models.
# 1. equal("visual=~x2")*x3 with group = "school": lavaan 0.6-14 gives x3's loading the label "visual=~x2" in every
#    group and resolves it to x2's loading of the FIRST group (constraints .p2. == .p3. and .p2. == .p26. in
#    parTable), so x3's loading equals group 1's x2 loading in both groups; x2's group-2 loading stays free. When
#    x2's loading has a label of its own (a, or c(a1, a2)), equal("visual=~x2") names no parameter and only labels
#    x3's loadings (one parameter across the groups).
# 2. An invariance ladder (group.equal levels) on a model with user labels, an == constraint and a := definition:
#    plain cfa() fits per level; group.equal leaves the labelled parameters alone (c(b1, b2)*x5 keeps two
#    loadings in the metric model; a*x2 + a*x3 is one loading in all groups already).
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/syntax_groups.R
suppressMessages(library(lavaan))
library(jsonlite)

HS <- read.csv("psychometrics/survey/datasets/data/HolzingerSwineford1939.csv")
FIT_NAMES <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")

describe <- function(fit, call) {
  pe <- parameterEstimates(fit)
  labels <- lavInspect(fit, "group.label")
  if (length(labels) == 0) labels <- "1"
  list(call = call, fit = as.list(fitMeasures(fit, FIT_NAMES)),
       estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                              group = if (is.null(pe$group)) "1" else ifelse(pe$group == 0, "0", labels[pmax(pe$group, 1)]),
                              est = pe$est, se = pe$se))
}

EQUAL <- list(
  plain = "visual =~ x1 + x2 + equal('visual=~x2')*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9",
  labelled = "visual =~ x1 + c(a1, a2)*x2 + equal('visual=~x2')*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
)
equal_cases <- lapply(names(EQUAL), function(name) {
  out <- suppressWarnings(describe(cfa(EQUAL[[name]], data = HS, group = "school"),
                                   "cfa(model, data = HS, group = 'school')"))
  out$model <- EQUAL[[name]]
  out$group <- "school"
  out
})
names(equal_cases) <- names(EQUAL)
# one group, the referenced loading labelled: lavaan leaves x3's loading free (its label "visual=~x2" names no
# parameter, since x2's loading is called "a")
LABELLED_ONE <- "visual =~ x1 + a*x2 + equal('visual=~x2')*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
equal_cases$labelled_one_group <- describe(cfa(LABELLED_ONE, data = HS), "cfa(model, data = HS)")
equal_cases$labelled_one_group$model <- LABELLED_ONE

LADDER_MODEL <- paste("visual =~ x1 + a*x2 + a*x3", "textual =~ x4 + c(b1, b2)*x5 + c(c1, c2)*x6",
                      "speed =~ x7 + x8 + x9", "b1 == c1", "d := b2 - c2", sep = "\n")
LEVELS <- list(configural = "", metric = "loadings", scalar = c("loadings", "intercepts"),
               strict = c("loadings", "intercepts", "residuals"))
describe_ladder <- function(model, levels) {
  fits <- lapply(levels, function(eq) suppressWarnings(cfa(model, data = HS, group = "school", group.equal = eq)))
  out <- lapply(names(levels), function(level) {
    out <- describe(fits[[level]], sprintf("cfa(model, data = HS, group = 'school', group.equal = c(%s))",
                                           paste0("'", levels[[level]], "'", collapse = ", ")))
    k <- match(level, names(levels))
    if (k > 1) {
      lrt <- lavTestLRT(fits[[k - 1]], fits[[k]])
      out$delta_chisq <- lrt[["Chisq diff"]][2]
      out$delta_df <- lrt[["Df diff"]][2]
      out$delta_pvalue <- lrt[["Pr(>Chisq)"]][2]
    }
    out
  })
  names(out) <- names(levels)
  out
}
ladder <- describe_ladder(LADDER_MODEL, LEVELS)
# a nonlinear equality and an (inactive) inequality, which lavaan's constrained optimiser handles at every level
NONLINEAR_MODEL <- paste("visual =~ x1 + c(v2a, v2b)*x2 + x3", "textual =~ x4 + x5 + x6", "speed =~ x7 + x8 + x9",
                         "v2a == v2b^2", "v2b > 0.5", sep = "\n")
nonlinear_ladder <- describe_ladder(NONLINEAR_MODEL, LEVELS[1:3])

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  equal = equal_cases,
  ladder_model = LADDER_MODEL,
  ladder = ladder,
  nonlinear_model = NONLINEAR_MODEL,
  nonlinear_ladder = nonlinear_ladder
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", dataframe = "columns"),
           "tests/reference/syntax_groups.json")
