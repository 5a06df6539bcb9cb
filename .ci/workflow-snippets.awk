# Prints each ```yaml block of a markdown file that is a whole workflow (has
# top-level on: and jobs:) to DIR/PREFIX-N.yml, with the published action
# (keysweep/keysweep@REF) replaced by the local one (./), so actionlint
# checks the snippet's inputs against this checkout's action.yml.
/^```ya?ml[[:space:]]*$/ { inblock = 1; buf = ""; on = 0; jobs = 0; next }
inblock && /^```/ {
  inblock = 0
  if (on && jobs) {
    n++
    f = dir "/" prefix "-" n ".yml"
    printf "%s", buf > f
    close(f)
  }
  next
}
inblock {
  line = $0
  if (line ~ /^on:/) on = 1
  if (line ~ /^jobs:/) jobs = 1
  gsub(/uses: keysweep\/keysweep@[^[:space:]]+/, "uses: ./", line)
  buf = buf line "\n"
}
