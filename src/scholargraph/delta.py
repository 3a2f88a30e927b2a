"""Resolution and mapping by difference: a rebuild after a few documents changed.

Resolution is global (a person is made of every document's mentions of them), so a
rebuild cannot resolve a changed document on its own; but most of what it would
compute is what the last build computed.  The last complete build leaves a
:class:`DeltaState` (``out/cache/resolution.pickle``): its entities, the counts that
people are made of (:class:`~scholargraph.resolve.NameMentions`), its work clusters
and the indexes that say which work mentions could ever be compared.  A rebuild
then

* counts the changed documents' person mentions out (old version) and in (new),
  and makes again only the people whose counts or name keys changed;
* clusters again only the work mentions the change can reach: those of the clusters
  that held a changed document's mentions, closed under "could be compared" (a
  shared DOI, HAL id or title key, or titles that score at least
  ``TITLE_CANDIDATE_SCORE`` in a compatible year: :func:`~scholargraph.resolve.cluster_works`
  never compares other pairs, so elsewhere the clusters are the last build's);
* makes again, from every document, what is cheap: organisations, roles, courses,
  projects, events, the person candidates;
* maps only what differs, in the old graph and the new one: the lines the old
  entities gave less those the new ones give are removed, and the other way round.
  Lines that two entities can both give (a periodical's, a role's, a course's, a
  project member's affiliation) are made from all their givers on both sides.

It gives up (:class:`Fallback`, with the reason) wherever a change would reach
further than it follows: a name that now belongs to another person, an entity
whose IRI changes while others point to it, a work key another work loses.  The
build then resolves and maps the whole corpus, as before.  The result is the same
either way: ``tests/test_rebuild.py`` and ``tests/test_rebuild_random.py`` compare
every rebuild with a build from scratch.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple

from rapidfuzz import fuzz, process

from .curated import Curated
from .mapping import (
    Minted,
    _Builder,
    _unique,
    wanted_event,
    wanted_iris,
    wanted_org,
    wanted_person,
    wanted_project,
    wanted_work,
)
from .records import Agent, AgentKind, Document, Event, Span, Work
from .resolve import (
    TITLE_CANDIDATE_SCORE,
    Candidate,
    WorkEntity,
    Merge,
    MergeReport,
    NameMentions,
    PersonGroups,
    Resolution,
    Resolved,
    _record_agents,
    _Resolver,
    _walk_works,
    _work_agents,
    add_event,
    aligned_in,
    aligned_initials,
    cluster_works,
    collision_key,
    count_person_mentions,
    curated_person_names,
    knows_about,
    organizations,
    person_candidates,
    person_entity,
    person_groups,
    person_key,
    title_key,
    work_merge,
    work_order,
)

STATE_FORMAT = 3

Mention = tuple[str, int, int, str]  # resolve.work_order: a work mention's place and title, its identity


class Fallback(Exception):
    """The change reaches further than resolution by difference follows: resolve everything."""


class Cluster(NamedTuple):
    """One work: its mentions (the first names the cluster), key, merge and what it gives others
    (a named tuple: the state holds ~16,000 per million triples, pickled as plain tuples)."""

    members: tuple[Mention, ...]
    key: str
    base_key: str  # the key it asked for (``key`` differs when another work had it first)
    merge: Merge | None
    aligned: dict[tuple[str, str], str]
    event: Event | None


class MentionKeys(NamedTuple):
    """What decides which work mentions the clustering compares."""

    doi: str | None
    hal: str | None
    titles: tuple[str, ...]  # title keys
    year: int | None


@dataclass
class DeltaState:
    """What a rebuild needs of the last complete build to resolve and map by difference."""

    stamp: str
    keys: dict[str, str]  # document path -> the cache key of the version resolved
    resolved: Resolved  # without its documents
    person_table: dict[str, NameMentions]
    groups: PersonGroups
    spelling_merges: dict[str, Merge]  # person key -> the merge of its spellings
    clusters: dict[Mention, Cluster]  # by first mention
    cluster_of: dict[Mention, Mention]
    mentions: dict[Mention, MentionKeys]
    work_candidates: list[tuple[tuple, Candidate, Mention, Mention]]
    wanted: dict[str, dict[str, str]]  # mapping.wanted_iris
    minted: Minted
    periodicals: dict[str, set[str]]  # periodical IRI -> the works that are part of it
    org_of: dict[str, str]  # org key of a name -> the organisation's key
    org_mentions: dict[str, tuple[list[Agent], list[Agent]]]  # document path -> its organisation mentions (records', works')
    fingerprint: int | None  # the graph's (validate._fingerprint), when known
    # indexes of ``mentions``
    by_doi: dict[str, set[Mention]] = field(default_factory=dict)
    by_hal: dict[str, set[Mention]] = field(default_factory=dict)
    by_title: dict[str, set[Mention]] = field(default_factory=dict)
    titles_by_year: dict[int | None, Counter[str]] = field(default_factory=dict)

    def index(self, mention: Mention, keys: MentionKeys, sign: int) -> None:
        for table, value in ((self.by_doi, keys.doi), (self.by_hal, keys.hal)):
            if value:
                _count(table, value, mention, sign)
        for tkey in keys.titles:
            _count(self.by_title, tkey, mention, sign)
            titles = self.titles_by_year.setdefault(keys.year, Counter())
            titles[tkey] += sign
            if titles[tkey] <= 0:
                del titles[tkey]

    def build_indexes(self) -> None:
        for mention, keys in self.mentions.items():
            self.index(mention, keys, 1)


def _count(table: dict[str, set[Mention]], value: str, mention: Mention, sign: int) -> None:
    if sign > 0:
        table.setdefault(value, set()).add(mention)
    else:
        found = table.get(value)
        if found is not None:
            found.discard(mention)
            if not found:
                del table[value]


def mention_keys(work: Work) -> MentionKeys:
    return MentionKeys(work.doi, work.hal, tuple(dict.fromkeys(title_key(t.text) for t in work.titles)), work.date.year if work.date else None)


def _periodical(base: str, venue: str) -> str:
    from .identifiers import slug

    return f"{base}periodical/{slug(venue)}"


def org_mentions(document: Document) -> tuple[list[Agent], list[Agent]]:
    """The organisations ``document``'s records name, and those its works name: a whole
    resolution meets every document's first, then every document's works'."""
    return (
        [a for a in _record_agents([document]) if a.kind == AgentKind.ORGANIZATION],
        [a for a in _work_agents(_walk_works([document])) if a.kind == AgentKind.ORGANIZATION],
    )


def make_state(
    stamp: str, keys: dict[str, str], resolved: Resolved, resolution: Resolution, base: str, fingerprint: int | None = None
) -> DeltaState | None:
    """The state a rebuild needs, from a whole resolution (None when its work mentions
    cannot be told apart by place and title)."""
    clusters: dict[Mention, Cluster] = {}
    cluster_of: dict[Mention, Mention] = {}
    mentions: dict[Mention, MentionKeys] = {}
    clustering = resolution.clustering
    for members, key, merge, aligned, event in zip(
        clustering.clusters, resolution.cluster_keys, resolution.work_merges, resolution.aligned, resolution.cluster_events
    ):
        ids = tuple(work_order(w) for w in members)
        clusters[ids[0]] = Cluster(ids, key, key.removesuffix(collision_key("", members[0].span)), merge, aligned, event)
        for work, mention in zip(members, ids):
            if mention in mentions:
                return None
            mentions[mention] = mention_keys(work)
            cluster_of[mention] = ids[0]
    work_candidates = [(met, c, met[1], met[2][1]) for met, c in clustering.candidates]
    wanted = wanted_iris(resolved)
    from .mapping import mint

    minted = mint(resolved, base, wanted)
    periodicals: dict[str, set[str]] = defaultdict(set)
    for key, work in resolved.works.items():
        if work.venue:
            periodicals[_periodical(base, work.venue)].add(key)
    state = DeltaState(
        stamp, dict(keys), dataclasses.replace(resolved, documents=()), resolution.person_table, resolution.person_groups,
        dict(resolution.spelling_merges), clusters, cluster_of, mentions, work_candidates, wanted, minted, dict(periodicals), dict(resolution.org_of),
        {d.path: org_mentions(d) for d in resolved.documents}, fingerprint,
    )
    state.build_indexes()
    return state


# ---------------------------------------------------------------------------- the delta


@dataclass
class Delta:
    """A rebuild's resolution, the lines it removes from the last graph and adds, its new state."""

    resolved: Resolved
    removed: list[str]
    added: list[str]
    state: DeltaState
    last_report: MergeReport  # the last build's (its merges.yaml has the entries that did not change)


def resolve_changes(
    state: DeltaState,
    documents: list[Document],
    old: dict[str, Document | None],
    curated: Curated,
    base: str,
) -> Delta:
    """Resolve ``documents`` (all of them, new versions) knowing that only the documents in
    ``old`` (path -> the version ``state`` resolved, None if it is new) changed since; raises
    :class:`Fallback` when the change reaches further than this follows."""
    documents = sorted(documents, key=lambda d: d.path)
    by_path = {d.path: d for d in documents}
    new: dict[str, Document | None] = {path: by_path.get(path) for path in old}
    then = state.resolved
    old_docs = [d for d in old.values() if d is not None]
    new_docs = [d for d in new.values() if d is not None]
    old_works, new_works = _walk_works(old_docs), _walk_works(new_docs)

    # ---- work mentions: cluster again what the change can reach
    removed_mentions = [work_order(w) for w in old_works]
    added = {work_order(w): w for w in new_works}
    if len(added) != len(new_works) or len(set(removed_mentions)) != len(removed_mentions):
        raise Fallback("two work mentions of a changed document have the same place and title")
    for mention in removed_mentions:
        if mention not in state.cluster_of:
            raise Fallback("the last build's state does not know a changed document's work")
    gone = set(removed_mentions)
    for mention in added:
        if mention in state.cluster_of and mention not in gone:
            raise Fallback("a new work mention has the place and title of another")
    mentions = state.mentions
    gone_keys = {mention: mentions.pop(mention) for mention in removed_mentions}
    for mention, keys in gone_keys.items():
        state.index(mention, keys, -1)
    for mention, work in added.items():
        mentions[mention] = mention_keys(work)
        state.index(mention, mentions[mention], 1)
    reach, touched = _reach(state, gone_keys, set(added))
    all_works = _walk_works(documents)
    work_of_mention = {m: w for m, w in added.items()}
    needed = reach - set(added)
    if needed:
        for work in all_works:
            mention = work_order(work)
            if mention in needed:
                work_of_mention[mention] = work
    if len(work_of_mention) != len(reach):
        raise Fallback("a work mention the last build clustered is missing")
    clustering = cluster_works(work_of_mention[m] for m in reach)
    new_aligned = [aligned_in(members) for members in clustering.clusters]
    first_of_new = [work_order(members[0]) for members in clustering.clusters]
    kept_clusters = {cid: c for cid, c in state.clusters.items() if cid not in touched}
    aligned_by_cluster = {cid: c.aligned for cid, c in kept_clusters.items() if c.aligned}
    aligned_by_cluster.update((cid, a) for cid, a in zip(first_of_new, new_aligned) if a)
    aligned = aligned_initials(aligned_by_cluster[cid] for cid in sorted(aligned_by_cluster))

    # ---- people: count the changed documents' mentions out and in
    table = state.person_table
    names_touched: set[str] = set()
    for docs, works, sign in ((old_docs, old_works, -1), (new_docs, new_works, 1)):
        agents = [a for a in (*_record_agents(docs), *_work_agents(works)) if a.kind == AgentKind.PERSON]
        count_person_mentions(agents, curated, table, sign)
        names_touched.update(person_key(a.name) for a in agents)
    groups = person_groups(table, curated, aligned)
    person_of = groups.person_of()
    old_person_of = state.groups.person_of()
    for name_key, key in person_of.items():
        if old_person_of.get(name_key, key) != key:
            raise Fallback(f"the name key '{name_key}' now belongs to another person")
    dirty_persons = {person_of[n] for n in names_touched if n in person_of}
    dirty_persons.update(old_person_of[n] for n in names_touched if n in old_person_of)
    for key, members in groups.members.items():
        if state.groups.members.get(key) != members:
            dirty_persons.add(key)
    for key in state.groups.members:
        if key not in groups.members:
            dirty_persons.add(key)
    curated_names = curated_person_names(curated)
    persons = dict(then.persons)
    spelling_merges = dict(state.spelling_merges)
    for key in dirty_persons:
        persons.pop(key, None)
        spelling_merges.pop(key, None)
        if key in groups.members:
            persons[key], merge = person_entity(key, groups, table, curated_names)
            if merge is not None:
                spelling_merges[key] = merge
    facts = knows_about(documents, person_of)
    for key, person in persons.items():
        topics = facts.get(key, ())
        if person.knows_about != topics:
            if key not in dirty_persons:
                persons[key] = person = dataclasses.replace(person)
                dirty_persons.add(key)
            person.knows_about = topics
    persons = {key: persons[key] for key in sorted(persons)}

    # ---- organisations, then the works of the clusters made again
    orgs_named = dict(state.org_mentions)
    for path, document in new.items():
        orgs_named.pop(path, None)
        if document is not None:
            orgs_named[path] = org_mentions(document)
    orgs_named = {path: orgs_named[path] for path in sorted(orgs_named)}
    named = [a for records, _ in orgs_named.values() for a in records] + [a for _, works in orgs_named.values() for a in works]
    orgs, org_of, org_merges = organizations(named, curated)
    for name_key, key in org_of.items():
        if state.org_of.get(name_key, key) != key:
            raise Fallback(f"the organisation name key '{name_key}' now belongs to another organisation")
    resolver = _Resolver([], curated)
    resolver.documents = documents
    resolver.person_of, resolver.org_of = person_of, org_of
    clusters = dict(kept_clusters)
    made: dict[Mention, WorkEntity] = {}
    for members, why, aligned_here, first in zip(clustering.clusters, clustering.evidence, new_aligned, first_of_new):
        made[first], event = resolver._merge_work(members)  # (its event counted in a scratch table)
        clusters[first] = Cluster(tuple(work_order(w) for w in members), made[first].key, made[first].key, None, aligned_here, event)
    _settle_keys(state, clusters, made, touched)
    for members, why, first in zip(clustering.clusters, clustering.evidence, first_of_new):
        made[first].key = clusters[first].key
        clusters[first] = clusters[first]._replace(merge=work_merge(made[first], members, why))
    works = dict(then.works)
    dirty_works_old: set[str] = set()
    for cid in touched:
        key = state.clusters[cid].key
        dirty_works_old.add(key)
        works.pop(key, None)
    dirty_works_new: set[str] = set()
    for cid, entity in made.items():
        works[entity.key] = entity
        dirty_works_new.add(entity.key)
    cluster_of = dict(state.cluster_of)
    for mention in gone:
        cluster_of.pop(mention, None)
    for cid in first_of_new:
        for mention in clusters[cid].members:
            cluster_of[mention] = cid
    key_of_cluster = {cid: c.key for cid, c in clusters.items()}

    # ---- roles, courses, hearings, projects, events: from every document again (few)
    resolver.events = {}
    order = sorted(clusters)
    for cid in order:
        if clusters[cid].event is not None:
            add_event(resolver.events, clusters[cid].event)
    resolver.work_key = lambda work: key_of_cluster[cluster_of[work_order(work)]]  # type: ignore[method-assign]
    roles, courses, projects, projects_of = resolver.records(orgs)
    for key in list(works):
        pkeys = projects_of.get(key, ())
        if works[key].projects != pkeys:
            if key not in dirty_works_new:
                works[key] = dataclasses.replace(works[key])
                dirty_works_old.add(key)
                dirty_works_new.add(key)
            works[key].projects = pkeys
    works = {key_of_cluster[cid]: works[key_of_cluster[cid]] for cid in order}
    events = resolver.events

    # ---- the report
    candidates = [(met, c, a, b) for met, c, a, b in state.work_candidates if a not in reach and a not in gone and b not in reach and b not in gone]
    candidates += [(met, c, met[1], met[2][1]) for met, c in clustering.candidates]
    candidates.sort(key=lambda item: item[0])
    merges = [*groups.merges, *(spelling_merges[k] for k in sorted(spelling_merges) if k in persons), *org_merges]
    merges += [clusters[cid].merge for cid in order if clusters[cid].merge is not None]  # type: ignore[misc]
    report = MergeReport(
        merges=sorted(merges, key=lambda m: (m.kind, m.name)),
        candidates=sorted([*(c for _, c, _, _ in candidates), *person_candidates(persons)], key=lambda c: (c.kind, c.names)),
    )
    resolved = Resolved(tuple(documents), persons, orgs, works, roles, events, courses, projects, report)

    # ---- IRIs: an entity others point to keeps its IRI, else everything is mapped again
    wanted = {kind: dict(values) for kind, values in state.wanted.items()}
    for key in dirty_persons:
        wanted["persons"].pop(key, None)
        if key in persons:
            wanted["persons"][key] = wanted_person(persons[key])
    for key in dirty_works_old:
        wanted["works"].pop(key, None)
    for key in dirty_works_new:
        wanted["works"][key] = wanted_work(works[key])
    wanted["orgs"] = {k: wanted_org(o) for k, o in orgs.items()}
    wanted["events"] = {k: wanted_event(e) for k, e in events.items()}
    wanted["projects"] = {k: wanted_project(p) for k, p in projects.items()}
    minted = Minted(*(_unique(base, wanted[kind]) for kind in ("persons", "orgs", "works", "events", "projects")))
    for kind in ("persons", "orgs", "works", "events", "projects"):
        before, after = getattr(state.minted, kind), getattr(minted, kind)
        for key, iri in after.items():
            if before.get(key, iri) != iri:
                raise Fallback(f"the IRI of {kind[:-1]} '{key}' changes")

    # ---- the lines that differ
    dirty_orgs = {k for k in set(orgs) | set(then.organizations) if orgs.get(k) != then.organizations.get(k)}
    dirty_events = {k for k in set(events) | set(then.events) if events.get(k) != then.events.get(k)}
    projects_changed = projects != then.projects
    old_roles, new_roles = _by_person(then.roles), _by_person(roles)
    role_people = {p for p in set(old_roles) | set(new_roles) if old_roles.get(p) != new_roles.get(p)}
    renamed = {k for k in dirty_orgs if k in orgs and k in then.organizations and orgs[k].name != then.organizations[k].name}
    if renamed:  # a role's or a course's IRI has its organisation's name
        role_people |= {r.person for r in (*then.roles, *roles) if r.org in renamed}
    courses_changed = courses != then.courses or any(c.provider in renamed for c in (*then.courses, *courses))
    periodicals = {p: set(ks) for p, ks in state.periodicals.items()}
    touched_periodicals: set[str] = set()
    for key in dirty_works_old:
        venue = then.works[key].venue if key in then.works else None
        if venue:
            iri = _periodical(base, venue)
            touched_periodicals.add(iri)
            periodicals.setdefault(iri, set()).discard(key)
    for key in dirty_works_new:
        venue = works[key].venue
        if venue:
            iri = _periodical(base, venue)
            touched_periodicals.add(iri)
            periodicals.setdefault(iri, set()).add(key)
    periodicals = {p: ks for p, ks in periodicals.items() if ks}

    def lines(side: Resolved, iris: Minted, person_keys: set[str], work_keys: set[str], people_roles: dict, periodical_works: dict, docs: list[Document]) -> set[str]:
        builder = _Builder(side, base, iris)
        builder.documents(docs)
        builder.persons(sorted(k for k in person_keys if k in side.persons))
        builder.possible_same_as()
        builder.organizations(sorted(k for k in dirty_orgs if k in side.organizations))
        builder.works(sorted(k for k in work_keys if k in side.works))
        for iri in touched_periodicals:
            for key in sorted(periodical_works.get(iri, ())):
                builder.periodical(side.works[key])
        builder.roles([r for p in sorted(role_people) for r in people_roles.get(p, ())])
        builder.events(sorted(k for k in dirty_events if k in side.events))
        if courses_changed:
            builder.courses()
        if projects_changed:
            builder.projects()
        return builder.lines

    old_periodicals = state.periodicals
    before_lines = lines(then, state.minted, dirty_persons, dirty_works_old, old_roles, old_periodicals, old_docs)
    after_lines = lines(resolved, minted, dirty_persons, dirty_works_new, new_roles, periodicals, new_docs)
    removed = sorted(before_lines - after_lines)
    added_lines = sorted(after_lines - before_lines)
    fingerprint = None
    if state.fingerprint is not None:
        from .validate import _fingerprint

        fingerprint = (state.fingerprint - _fingerprint(removed) + _fingerprint(added_lines)) % 2**64

    # ---- the state of the next rebuild
    new_state = DeltaState(
        state.stamp, state.keys, dataclasses.replace(resolved, documents=()), table, groups, spelling_merges, clusters, cluster_of,
        mentions, candidates, wanted, minted, periodicals, org_of, orgs_named, fingerprint,
        state.by_doi, state.by_hal, state.by_title, state.titles_by_year,
    )
    return Delta(resolved, removed, added_lines, new_state, then.report)


def _by_person(roles: Iterable) -> dict[str, list]:
    found: dict[str, list] = defaultdict(list)
    for role in roles:
        found[role.person].append(role)
    return dict(found)


def _reach(state: DeltaState, gone: dict[Mention, MentionKeys], added: set[Mention]) -> tuple[set[Mention], set[Mention]]:
    """The work mentions (now) the change can reach, closed under "could be compared", and the
    last build's clusters among them (by first mention)."""
    reach: set[Mention] = set()
    touched: set[Mention] = set()
    frontier: list[Mention] = []
    vanished = set(gone) - added
    choices: dict[object, list[str]] = {}

    def near(tkey: str, year: int | None) -> Iterable[str]:
        pool_key = ("all",) if year is None else year
        keys = choices.get(pool_key)
        if keys is None:
            if year is None:
                keys = sorted({k for titles in state.titles_by_year.values() for k in titles})
            else:
                keys = sorted({*state.titles_by_year.get(year, ()), *state.titles_by_year.get(None, ())})
            choices[pool_key] = keys
        return [found for found, _, _ in process.extract(tkey, keys, scorer=fuzz.ratio, score_cutoff=TITLE_CANDIDATE_SCORE, limit=None)]

    def take(mention: Mention) -> None:
        if mention in reach or mention in vanished:
            return
        reach.add(mention)
        frontier.append(mention)
        cid = state.cluster_of.get(mention)  # None for a new mention
        if cid is not None and cid not in touched:  # and the whole of its last cluster
            touched.add(cid)
            for member in state.clusters[cid].members:
                take(member)

    def neighbours(keys: MentionKeys) -> Iterable[Mention]:
        if keys.doi:
            yield from state.by_doi.get(keys.doi, ())
        if keys.hal:
            yield from state.by_hal.get(keys.hal, ())
        for tkey in keys.titles:
            yield from state.by_title.get(tkey, ())
            for other in near(tkey, keys.year):
                for mention in state.by_title.get(other, ()):
                    year = state.mentions[mention].year
                    if keys.year is None or year is None or year == keys.year:
                        yield mention

    for mention, keys in gone.items():
        cid = state.cluster_of[mention]
        if cid not in touched:
            touched.add(cid)
            for member in state.clusters[cid].members:
                take(member)
        for other in neighbours(keys):  # a gone mention may have stood between others
            take(other)
    for mention in added:
        take(mention)
    while frontier:
        mention = frontier.pop()
        for other in neighbours(state.mentions[mention]):
            take(other)
    return reach, touched


def _settle_keys(state: DeltaState, clusters: dict[Mention, Cluster], made: dict[Mention, WorkEntity], touched: set[Mention]) -> None:
    """Give the clusters made again their keys: of the clusters that ask for one key, the
    first (by first mention) has it, the others get :func:`~scholargraph.resolve.collision_key`;
    a kept cluster must keep its own key, or :class:`Fallback`."""
    asked = {clusters[cid].base_key for cid in made} | {state.clusters[cid].base_key for cid in touched}
    holders: dict[str, list[Mention]] = defaultdict(list)
    for cid, cluster in state.clusters.items():
        if cid not in touched and cluster.base_key in asked:
            holders[cluster.base_key].append(cid)
    for cid in made:
        holders[clusters[cid].base_key].append(cid)
    for base_key, cids in holders.items():
        cids.sort()
        for n, cid in enumerate(cids):
            key = base_key if n == 0 else collision_key(base_key, Span(*cid[:3]))
            if cid in made:
                clusters[cid] = clusters[cid]._replace(key=key)
            elif clusters[cid].key != key:
                raise Fallback(f"the work key '{base_key}' passes to another work")


__all__ = ["Delta", "DeltaState", "Fallback", "make_state", "resolve_changes"]
