# Reference values for tests/hostile/test_hostile_labels.py: the robust fit measures of a just-identified (df = 0)
# ordinal CFA, where lavaan's scaled-shifted scaling factor has nothing to scale (0 / 0).
# R 4.2.2, lavaan 0.6-14. Run from the repository root: Rscript tests/reference/cfa_ordinal_just_identified.R
# Reads the project's bundled bfi CSV; writes tests/reference/cfa_ordinal_just_identified.json.
suppressMessages(library(lavaan))
library(jsonlite)

BFI <- read.csv("psychometrics/survey/datasets/data/bfi.csv", row.names = 1)
fit <- cfa("agree =~ A1 + A2 + A3", data = BFI, ordered = c("A1", "A2", "A3"))
names <- c("df", "cfi.robust", "tli.robust", "rni.robust", "rmsea.robust", "rmsea.ci.lower.robust",
           "rmsea.ci.upper.robust", "rmsea.pvalue.robust")
out <- list(
  call = "cfa('agree =~ A1 + A2 + A3', data = bfi, ordered = c('A1', 'A2', 'A3'))",
  R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
  fit = as.list(fitMeasures(fit, names))
)
write_json(out, "tests/reference/cfa_ordinal_just_identified.json", digits = NA, auto_unbox = TRUE, pretty = TRUE,
           na = "null")
