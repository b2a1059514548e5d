package transform

import (
	"cmp"
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
		ids = append(ids, "symbol:"+r.symbol+"@"+r.currency)
	}
	return ids
}

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
	r := &resolver{symbolCurrency: map[string]string{}, keys: map[secRef]string{}, used: map[string][]member{}, seen: map[seenKey]bool{}}
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

// group links the references (sorted, distinct) that share an identifier
// and gives each its group's key (the rule is in doc.go).
func (r *resolver) group(sorted []secRef) {
	ids := make([][]string, len(sorted))
	for i, ref := range sorted {
		ids[i] = ref.identifiers()
	}
	// An identifier that references with different Flinks Ids share (one
	// ISIN under two Ids) is ambiguous and links nothing.
	owner, ambiguous := map[string]string{}, map[string]bool{}
	for i, ref := range sorted {
		if ref.id == "" {
			continue
		}
		for _, id := range ids[i][1:] {
			if o, ok := owner[id]; ok && o != ref.id {
				ambiguous[id] = true
			}
			owner[id] = ref.id
		}
	}
	if len(ambiguous) > 0 {
		for i, all := range ids {
			kept := slices.DeleteFunc(slices.Clone(all), func(id string) bool { return ambiguous[id] })
			if len(kept) == 0 {
				kept = all[:1]
			}
			ids[i] = kept
		}
	}
	u := newUnionFind()
	for _, usable := range ids {
		u.node(usable[0])
		for _, id := range usable[1:] {
			u.union(usable[0], id)
		}
	}
	best := u.bestOfGroups()
	for i, ref := range sorted {
		r.keys[ref] = best[u.find(u.index[ids[i][0]])]
	}
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
// fullest reference that has it (ties broken by content, never by order).
func (r *resolver) rows(runID any, keep bool) []schema.Row {
	keys := make([]string, 0, len(r.used))
	for k := range r.used {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	rows := make([]schema.Row, 0, len(keys))
	mask := masker{keep: keep}
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
		rows = append(rows, schema.Row{k, id, sym, isin, cusip, name, typ, cur, runID, mask.extra(extra, nil)})
	}
	return rows
}

func first(have any, s string) any {
	if have != nil || s == "" {
		return have
	}
	return s
}

// unionFind groups identifiers that name the same security. A union that
// would put two different Flinks Ids in one group is refused: conflicting
// strong identifiers stay separate securities.
type unionFind struct {
	index  map[string]int
	names  []string
	parent []int
	flinks []string // Flinks Id held by each root's group
}

func newUnionFind() *unionFind { return &unionFind{index: map[string]int{}} }

func (u *unionFind) node(name string) int {
	if i, ok := u.index[name]; ok {
		return i
	}
	i := len(u.names)
	u.index[name] = i
	u.names = append(u.names, name)
	u.parent = append(u.parent, i)
	id, _ := strings.CutPrefix(name, "id:")
	if !strings.HasPrefix(name, "id:") {
		id = ""
	}
	u.flinks = append(u.flinks, id)
	return i
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b string) {
	ra, rb := u.find(u.node(a)), u.find(u.node(b))
	if ra == rb {
		return
	}
	if u.flinks[ra] != "" && u.flinks[rb] != "" && u.flinks[ra] != u.flinks[rb] {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	if u.flinks[ra] == "" {
		u.flinks[ra] = u.flinks[rb]
	}
}

// bestOfGroups maps each group's root to its strongest identifier: the
// Flinks Id, else the smallest ISIN, else CUSIP, else symbol@currency.
func (u *unionFind) bestOfGroups() map[int]string {
	best := map[int]string{}
	for i, n := range u.names {
		root := u.find(i)
		b, ok := best[root]
		if !ok || rank(n) < rank(b) || (rank(n) == rank(b) && n < b) {
			best[root] = n
		}
	}
	return best
}

func rank(identifier string) int {
	switch {
	case strings.HasPrefix(identifier, "id:"):
		return 0
	case strings.HasPrefix(identifier, "isin:"):
		return 1
	case strings.HasPrefix(identifier, "cusip:"):
		return 2
	}
	return 3
}
