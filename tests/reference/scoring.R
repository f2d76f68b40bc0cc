# Reference scale scores for issue 7 (score): psych 2.2.9 on R 4.2.2.
# Run from the repository root:  Rscript tests/reference/scoring.R   (writes tests/reference/scoring.json)
# psych::scoreItems(keys, items, impute = "none", totals = FALSE) averages the answered items of each scale after
# reversing the negatively keyed ones over the range given by min/max; missing codes (9 = not applicable) are
# recoded to NA first. psychometrics.score equals this when min_answered = 1.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
d <- read.csv("psychometrics/survey/datasets/data/peer_support_survey.csv", stringsAsFactors = FALSE)
scales <- list(
  organisational_culture = c("oc1", "oc2", "-oc3", "oc4"),
  training = c("tr1", "tr2", "tr3"),
  role_definition = c("rd1", "-rd2", "rd3", "rd4"),
  resourcing = c("rs1", "rs2", "rs3"),
  peer_network = c("pn1", "pn2", "pn3"),
  staff_attitudes = c("sa1", "sa2", "sa3", "-sa4"))
items <- d[, gsub("-", "", unlist(scales))]
items[items == 9] <- NA
keys <- make.keys(items, scales)
s <- scoreItems(keys, items, impute = "none", totals = FALSE, min = 1, max = 5)
scores <- as.data.frame(unclass(s$scores))
out <- list(
  source = "psych::scoreItems(keys, items, impute = 'none', totals = FALSE, min = 1, max = 5) on peer_support_survey.csv (9 -> NA)",
  r_version = R.version.string, psych_version = as.character(packageVersion("psych")),
  respondent_id = d$respondent_id,
  scores = lapply(scores, function(x) ifelse(is.nan(x), NA, x)),
  alpha = as.list(setNames(as.numeric(s$alpha), colnames(s$alpha))))
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE), "tests/reference/scoring.json")
