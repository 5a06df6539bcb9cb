package repo

import "strings"

// config is a git configuration file's settings in file order. Keys are
// "section.key" or "section.subsection.key", section and key lowercased
// as git compares them; the subsection keeps its case.
type config []kv

type kv struct{ key, val string }

// get returns the last value of key, as git does.
func (c config) get(key string) (string, bool) {
	for i := len(c) - 1; i >= 0; i-- {
		if c[i].key == key {
			return c[i].val, true
		}
	}
	return "", false
}

func isTrue(v string) bool {
	switch strings.ToLower(v) {
	case "true", "yes", "on", "1":
		return true
	}
	return false
}

// parseConfig reads git's config syntax: [section], [section "sub"],
// the old [section.sub], "key = value" with quotes, escapes and comments,
// a bare "key" meaning true. Included files are not followed: the
// settings read here (extensions, promisor remotes) live in the
// repository's own config.
func parseConfig(b []byte) config {
	var out config
	section := ""
	for _, line := range strings.Split(joinContinued(string(b)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			end := strings.LastIndexByte(line, ']')
			if end < 0 {
				continue
			}
			head := strings.TrimSpace(line[1:end])
			if name, sub, ok := strings.Cut(head, " "); ok {
				sub = strings.TrimSpace(sub)
				sub = strings.TrimSuffix(strings.TrimPrefix(sub, `"`), `"`)
				sub = strings.NewReplacer(`\"`, `"`, `\\`, `\`).Replace(sub)
				section = strings.ToLower(name) + "." + sub
			} else if name, sub, ok := strings.Cut(head, "."); ok {
				section = strings.ToLower(name) + "." + strings.ToLower(sub)
			} else {
				section = strings.ToLower(head)
			}
			// A setting may follow the header on the same line.
			line = strings.TrimSpace(line[end+1:])
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
		}
		key, val, hasVal := strings.Cut(line, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		if !hasVal {
			key = strings.ToLower(strings.Fields(line)[0])
			val = "true"
		} else {
			val = configValue(val)
		}
		if section != "" {
			out = append(out, kv{section + "." + key, val})
		}
	}
	return out
}

// joinContinued joins lines ending in a backslash with the next.
func joinContinued(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\\\r\n", ""), "\\\n", "")
}

// configValue unquotes a value and drops a trailing comment.
func configValue(s string) string {
	var b strings.Builder
	quoted := false
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quoted = !quoted
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'b':
				b.WriteByte('\b')
			default:
				b.WriteByte(s[i])
			}
		case (c == '#' || c == ';') && !quoted:
			return strings.TrimSpace(b.String())
		default:
			b.WriteByte(c)
		}
	}
	return strings.TrimSpace(b.String())
}
