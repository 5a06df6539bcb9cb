// Package org is the front end that scans every repository of a GitHub
// organization: it lists the repositories through the REST API, keeps the
// ones selected (globs, archived, forks, one shard of N), clones each with
// its full history (bare, reusing a clone directory), and runs the
// pipeline's history stage on each and its later stages once for all of
// them, so the AWS session and inventory serve every repository and the
// one report names each finding's repository. See docs/organization.md.
package org
