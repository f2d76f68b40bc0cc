# Shared by the per-case scripts: arguments key=value, the timing rule of benchmarks/timing.py (one untimed
# warm-up, then budget / warm-up timed runs within [min, max], or one when the warm-up took the whole budget; the
# median), and one marked JSON line on stdout so that R's start-up and library loading are never timed.
suppressPackageStartupMessages(library(jsonlite))

bench_args <- function() {
  pairs <- strsplit(commandArgs(trailingOnly = TRUE), "=", fixed = TRUE)
  values <- lapply(pairs, function(p) paste(p[-1], collapse = "="))
  names(values) <- vapply(pairs, `[`, "", 1)
  values
}

bench_elapsed <- function(f) {
  start <- Sys.time()
  # what the function itself prints is diverted; its value is not printed (invisible)
  utils::capture.output(invisible(suppressMessages(suppressWarnings(f()))))
  as.numeric(difftime(Sys.time(), start, units = "secs"))
}

bench_run <- function(f, args, packages) {
  budget <- as.numeric(args$budget)
  warmup <- bench_elapsed(f)
  n <- if (warmup >= budget) 1 else
    max(as.integer(args$min_repeats), min(as.integer(args$max_repeats), floor(budget / warmup)))
  times <- vapply(seq_len(n), function(i) bench_elapsed(f), numeric(1))
  versions <- c(list(R = paste(R.version$major, R.version$minor, sep = ".")),
                lapply(setNames(packages, packages), function(p) as.character(packageVersion(p))))
  cat("BENCH_JSON:", toJSON(list(median = median(times), times = times, repeats = length(times),
                                 versions = versions, mc_cores = getOption("mc.cores", 2L)),
                            auto_unbox = TRUE, digits = NA), "\n", sep = "")
}

# The text of a lavaan model file written by the harness.
bench_read_model <- function(path) paste(readLines(path), collapse = "\n")
