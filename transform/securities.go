package transform

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/syncer/syncer/payload"
	"github.com/syncer/syncer/schema"
)

// secRef is one security reference's identifiers, normalised: Id trimmed,
// the others trimmed and upper-cased; currency is the security's own, else
// that of the position or transaction that names it, else the only currency
// the payload uses with that symbol.
type secRef struct {
	id, isin, cusip, symbol, currency string
}

func (r secRef) empty() bool { return r.id == "" && r.isin == "" && r.cusip == "" && r.symbol == "" }

// identifiers lists the reference's identifiers, strongest first.
func (r secRef) identifiers() []string {
	ids := make([]string, 0, 4)
	if r.id != "" {
		ids = append(ids, "id:"+r.id)
	}
	if r.isin != "" {
		ids = append(ids, "isin:"+r.isin)
	}
	if r.cusip != "" {
		ids = append(ids, "cusip:"+r.cusip)
	}
	if r.symbol != "" {
		ids = append(ids, r.symbolID())
	}
	return ids
}

// symbolID is the reference's symbol identifier, symbol:<SYMBOL>@<CCY>.
func (r secRef) symbolID() string { return "symbol:" + r.symbol + "@" + r.currency }

func compareRefs(a, b secRef) int {
	return cmp.Or(strings.Compare(a.id, b.id), strings.Compare(a.isin, b.isin),
		strings.Compare(a.cusip, b.cusip), strings.Compare(a.symbol, b.symbol), strings.Compare(a.currency, b.currency))
}

// rawRef reads a reference without the symbol-currency inference.
func rawRef(s *payload.Security, fallbackCurrency string) secRef {
	if s == nil {
		return secRef{}
	}
	id, _, _ := s.ID.Ident()
	isin, _, _ := s.Isin.Ident()
	cusip, _, _ := s.Cusip.Ident()
	sym, _, _ := s.Symbol.Ident()
	cur := normCurrency(s.Currency.Text())
	if cur == "" {
		cur = fallbackCurrency
	}
	return secRef{
		id:       strings.TrimSpace(id),
		isin:     strings.ToUpper(strings.TrimSpace(isin)),
		cusip:    strings.ToUpper(strings.TrimSpace(cusip)),
		symbol:   strings.ToUpper(strings.TrimSpace(sym)),
		currency: cur,
	}
}

// resolver gives every security reference of one payload its security_key
// (the rule is in doc.go) and collects the securities rows of the keys used.
type resolver struct {
	symbolCurrency map[string]string // symbol -> its only currency in the payload
	keys           map[secRef]string
	distinct       []secRef // each distinct reference as read, before inference
	used           map[string][]member
	seen           map[seenKey]bool
	// shared maps each identifier that the payload's references carry under
	// more than one key to those keys, sorted.
	shared map[string][]string
	// links holds (identifier, key) for every identifier other than its key
	// that only one security of the payload carries.
	links [][2]string
}

// member is one distinct reference to a security by a loaded row.
type member struct {
	ref       secRef
	name, typ string
	extra     payload.Fields
	extraText string // extra as canonical JSON, to order members by content
	full      int    // how many fields it fills
}

type seenKey struct {
	key       string
	ref       secRef
	name, typ string
}

func newResolver(accts []*account) *resolver {
	r := &resolver{symbolCurrency: map[string]string{}, keys: map[secRef]string{}, used: map[string][]member{}, seen: map[seenKey]bool{},
		shared: map[string][]string{}}
	refs := map[secRef]int32{}
	// site reads one reference and returns its index in r.distinct (-1: none).
	site := func(s *payload.Security, cur payload.Value) int32 {
		ref := rawRef(s, normCurrency(cur.Text()))
		if ref.empty() {
			return -1
		}
		id, ok := refs[ref]
		if !ok {
			id = int32(len(r.distinct))
			refs[ref] = id
			r.distinct = append(r.distinct, ref)
		}
		return id
	}
	for _, a := range accts {
		a.positionRefs = make([]int32, len(a.src.Positions))
		for i := range a.src.Positions {
			a.positionRefs[i] = site(a.src.Positions[i].Security, a.src.Positions[i].Currency)
		}
		a.transactionRefs = make([]int32, len(a.src.Transactions))
		for i := range a.src.Transactions {
			a.transactionRefs[i] = site(a.src.Transactions[i].Security, a.src.Transactions[i].Currency)
		}
	}
	r.learnSymbolCurrencies(r.distinct)
	sorted := make([]secRef, 0, len(r.distinct))
	for _, ref := range r.distinct {
		sorted = append(sorted, r.infer(ref))
	}
	slices.SortFunc(sorted, compareRefs)
	r.group(slices.Compact(sorted))
	return r
}

// learnSymbolCurrencies records, for each symbol used with exactly one
// currency, that currency: a reference to the symbol without any borrows it.
func (r *resolver) learnSymbolCurrencies(refs []secRef) {
	currencies := map[string]string{}
	for _, ref := range refs {
		if ref.symbol == "" || ref.currency == "" {
			continue
		}
		if c, seen := currencies[ref.symbol]; seen && c != ref.currency {
			currencies[ref.symbol] = "" // more than one: none to borrow
		} else if !seen {
			currencies[ref.symbol] = ref.currency
		}
	}
	for sym, c := range currencies {
		if c != "" {
			r.symbolCurrency[sym] = c
		}
	}
}

// group links the references (sorted, distinct) into securities, gives
// each its security's key and records the identifiers that name more than
// one security (the rule is in doc.go).
func (r *resolver) group(sorted []secRef) {
	g := newGrouping(sorted)
	for kind := kindID; kind <= kindCUSIP; kind++ {
		g.linkStrong(kind)
	}
	g.linkSymbols()

	roots := make([]int, len(sorted))
	members := map[int][]string{}  // root -> its group's identifiers
	carriers := map[string][]int{} // identifier -> the roots of the groups carrying it
	for i, ref := range sorted {
		root := g.find(i)
		roots[i] = root
		for _, id := range ref.identifiers() {
			if !slices.Contains(members[root], id) {
				members[root] = append(members[root], id)
				carriers[id] = append(carriers[id], root)
			}
		}
	}
	keys := make(map[int]string, len(members))
	for root, ids := range members {
		keys[root] = groupKey(ids, func(id string) bool { return len(carriers[id]) > 1 })
	}
	for i, ref := range sorted {
		r.keys[ref] = keys[roots[i]]
	}
	for id, rs := range carriers {
		if len(rs) < 2 {
			continue
		}
		ks := make([]string, len(rs))
		for i, root := range rs {
			ks[i] = keys[root]
		}
		slices.Sort(ks)
		r.shared[id] = slices.Compact(ks)
	}
	for root, ids := range members {
		for _, id := range ids {
			if id != keys[root] && len(carriers[id]) == 1 {
				r.links = append(r.links, [2]string{id, keys[root]})
			}
		}
	}
}

// groupKey returns the key of a security whose references carry ids: its
// strongest identifier that no other security of the payload carries
// (shared reports that), else its strong identifiers joined with "+"
// (its symbol when it has none).
func groupKey(ids []string, shared func(string) bool) string {
	slices.SortFunc(ids, compareIdentifiers)
	for _, id := range ids {
		if !shared(id) {
			return id
		}
	}
	strong := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return rank(id) == kindSymbol })
	if len(strong) == 0 {
		strong = ids
	}
	return strings.Join(strong, "+")
}

// compareIdentifiers orders identifiers strongest first: by kind (Id, ISIN,
// CUSIP, symbol), then by text.
func compareIdentifiers(a, b string) int {
	return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b))
}

func (r *resolver) infer(ref secRef) secRef {
	if ref.symbol != "" && ref.currency == "" {
		ref.currency = r.symbolCurrency[ref.symbol]
	}
	return ref
}

// key returns the security_key of the reference with the given index in
// r.distinct, or "" when it carries no identifier at all (index -1).
func (r *resolver) key(site int32) (string, secRef) {
	if site < 0 {
		return "", secRef{}
	}
	ref := r.infer(r.distinct[site])
	return r.keys[ref], ref
}

// sharedAt adds to out, for each identifier of the reference with the given
// index in r.distinct that names more than one security in the payload, the
// number of keys it is carried under.
func (r *resolver) sharedAt(site int32, out map[string]int) {
	if site < 0 || len(r.shared) == 0 {
		return
	}
	for _, id := range r.infer(r.distinct[site]).identifiers() {
		if keys, ok := r.shared[id]; ok {
			out[id] = len(keys)
		}
	}
}

// securityCols and aliasCols are the orders in which rows and aliasRows give
// the securities and security_aliases columns.
var (
	securityCols = schema.Securities.Layout(
		"security_key", "flinks_security_id", "symbol", "isin", "cusip", "name", "type", "currency", "run_id", "extra",
	)
	aliasCols = schema.SecurityAliases.Layout("alias_key", "security_key", "run_id", "first_seen_at")
)

// aliasRows returns the security_aliases rows of the payload, sorted: for
// each identifier only one security carries, (identifier, its key) unless
// that is its key; for each identifier several carry, (identifier, key) for
// each of their keys, itself included. Symbols without a currency are left
// out: they identify nothing beyond the payload. The rule is in doc.go.
func (r *resolver) aliasRows(runID, seenAt any, box *interner) []schema.Row {
	pairs := slices.Clone(r.links)
	for id, keys := range r.shared {
		for _, k := range keys {
			pairs = append(pairs, [2]string{id, k})
		}
	}
	pairs = slices.DeleteFunc(pairs, func(p [2]string) bool { return strings.HasSuffix(p[0], "@") })
	slices.SortFunc(pairs, func(a, b [2]string) int { return cmp.Or(strings.Compare(a[0], b[0]), strings.Compare(a[1], b[1])) })
	rows := make([]schema.Row, len(pairs))
	width := aliasCols.Width()
	cells := make([]any, width*len(pairs)) // one backing array for all rows
	for i, p := range pairs {
		rows[i] = cells[i*width : (i+1)*width : (i+1)*width]
		aliasCols.Fill(rows[i], p[0], box.str(p[1]), runID, seenAt)
	}
	return rows
}

// use records that a loaded row references the security under key.
// Identical references (no unknown members) are recorded once.
func (r *resolver) use(key string, s *payload.Security, ref secRef) {
	m := member{ref: ref, name: s.Name.Text(), typ: s.Type.Text(), extra: s.Extra}
	if len(m.extra) == 0 {
		k := seenKey{key, ref, m.name, m.typ}
		if r.seen[k] {
			return
		}
		r.seen[k] = true
	}
	for _, f := range []string{ref.id, ref.isin, ref.cusip, ref.symbol, ref.currency, m.name, m.typ} {
		if f != "" {
			m.full++
		}
	}
	m.full += len(m.extra)
	if len(m.extra) > 0 {
		m.extraText, _ = masker{keep: true}.extra(m.extra, nil).(string)
	}
	r.used[key] = append(r.used[key], m)
}

// rows returns one securities row per used key, each column taken from the
// fullest reference that has it (ties broken by content, never by order);
// extra is masked like every other free text (the payload's account numbers).
func (r *resolver) rows(runID any, numbers *numberSet, keep bool) []schema.Row {
	keys := make([]string, 0, len(r.used))
	for k := range r.used {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]schema.Row, 0, len(keys))
	mask := masker{numbers: numbers, keep: keep}
	for _, k := range keys {
		ms := r.used[k]
		slices.SortFunc(ms, func(a, b member) int {
			return cmp.Or(cmp.Compare(b.full, a.full), compareRefs(a.ref, b.ref),
				strings.Compare(a.name, b.name), strings.Compare(a.typ, b.typ),
				strings.Compare(a.extraText, b.extraText))
		})
		var id, sym, isin, cusip, name, typ, cur any
		var extra payload.Fields
		for _, m := range ms {
			id = first(id, m.ref.id)
			sym = first(sym, m.ref.symbol)
			isin = first(isin, m.ref.isin)
			cusip = first(cusip, m.ref.cusip)
			name = first(name, m.name)
			typ = first(typ, m.typ)
			cur = first(cur, m.ref.currency)
			for f, v := range m.extra {
				if _, ok := extra[f]; !ok {
					if extra == nil {
						extra = payload.Fields{}
					}
					extra[f] = v
				}
			}
		}
		rows = append(rows, securityCols.Row(k, id, sym, isin, cusip, name, typ, cur, runID, mask.extra(extra, nil)))
	}
	return rows
}

func first(have any, s string) any {
	if have != nil || s == "" {
		return have
	}
	return s
}

// The kinds of identifier, strongest first. Id, ISIN and CUSIP are strong:
// two references with different values of one of them are two securities.
const (
	kindID = iota
	kindISIN
	kindCUSIP
	kindSymbol
)

// strong returns the reference's identifier of a strong kind, "" if none.
func (r secRef) strong(kind int) string {
	switch kind {
	case kindID:
		return r.id
	case kindISIN:
		return r.isin
	case kindCUSIP:
		return r.cusip
	}
	return ""
}

// grouping links references into securities with a union-find over their
// indexes. Every group is free of conflict: it never holds two different
// values of one strong kind, so it holds at most one Id, ISIN and CUSIP.
type grouping struct {
	refs   []secRef
	parent []int
	strong [][kindSymbol]string // at each root: its group's Id, ISIN and CUSIP
}

func newGrouping(refs []secRef) *grouping {
	g := &grouping{refs: refs, parent: make([]int, len(refs)), strong: make([][kindSymbol]string, len(refs))}
	for i, ref := range refs {
		g.parent[i] = i
		for kind := kindID; kind <= kindCUSIP; kind++ {
			g.strong[i][kind] = ref.strong(kind)
		}
	}
	return g
}

func (g *grouping) find(i int) int { return findRoot(g.parent, i) }

func findRoot(parent []int, i int) int {
	for parent[i] != i {
		parent[i] = parent[parent[i]]
		i = parent[i]
	}
	return i
}

// linkStrong links, for each value of the strong kind, the groups of the
// references carrying it, unless together they would conflict: then the
// value is shared by several securities and links nothing. Each group
// holds one value of the kind at most, so the values' links are
// independent of each other and of their order.
func (g *grouping) linkStrong(kind int) {
	carriers := map[string][]int{}
	for i, ref := range g.refs {
		if v := ref.strong(kind); v != "" {
			carriers[v] = append(carriers[v], i)
		}
	}
	for _, v := range slices.Sorted(maps.Keys(carriers)) {
		roots := g.roots(carriers[v])
		if len(roots) > 1 && g.compatible(roots) {
			g.merge(roots)
		}
	}
}

// linkSymbols links the groups that share a symbol@currency. A group may
// hold several symbols, so symbols link transitively: the groups that the
// symbols would join into one are linked only if the whole is free of
// conflict, and otherwise every symbol among them links nothing. So no
// order of the symbols decides which of two conflicting groups a third joins.
func (g *grouping) linkSymbols() {
	trial := slices.Clone(g.parent)
	bySymbol := map[string][]int{}
	for i, ref := range g.refs {
		if ref.symbol != "" {
			id := ref.symbolID()
			bySymbol[id] = append(bySymbol[id], i)
		}
	}
	for _, carriers := range bySymbol {
		for _, c := range carriers[1:] {
			a, b := findRoot(trial, carriers[0]), findRoot(trial, c)
			trial[max(a, b)] = min(a, b)
		}
	}
	components := map[int][]int{} // the trial's root -> the groups it would join
	for i := range g.refs {
		if g.find(i) == i {
			c := findRoot(trial, i)
			components[c] = append(components[c], i)
		}
	}
	for _, roots := range components {
		if len(roots) > 1 && g.compatible(roots) {
			g.merge(roots)
		}
	}
}

// roots returns the distinct roots of the given references' groups.
func (g *grouping) roots(refs []int) []int {
	var roots []int
	for _, i := range refs {
		if r := g.find(i); !slices.Contains(roots, r) {
			roots = append(roots, r)
		}
	}
	return roots
}

// compatible reports whether the groups at roots hold, for each strong
// kind, at most one value between them.
func (g *grouping) compatible(roots []int) bool {
	var have [kindSymbol]string
	for _, r := range roots {
		for kind, v := range g.strong[r] {
			if v == "" {
				continue
			}
			if have[kind] != "" && have[kind] != v {
				return false
			}
			have[kind] = v
		}
	}
	return true
}

// merge joins the groups at roots (compatible ones) under the smallest root.
func (g *grouping) merge(roots []int) {
	top := slices.Min(roots)
	for _, r := range roots {
		if r == top {
			continue
		}
		g.parent[r] = top
		for kind, v := range g.strong[r] {
			if v != "" {
				g.strong[top][kind] = v
			}
		}
	}
}

// rank is the kind of an identifier or key, by its prefix. A key joined
// with "+" ranks as its first identifier.
func rank(identifier string) int {
	switch {
	case strings.HasPrefix(identifier, "id:"):
		return kindID
	case strings.HasPrefix(identifier, "isin:"):
		return kindISIN
	case strings.HasPrefix(identifier, "cusip:"):
		return kindCUSIP
	}
	return kindSymbol
}
