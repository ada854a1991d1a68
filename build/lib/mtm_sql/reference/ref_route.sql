-- Route texts as PBMs send them (lower case) -> canonical route, and whether the route is a local use
-- (nasal, ophthalmic, otic, topical, rectal, vaginal: never evidence of a chronic condition, section 2).
SELECT lower(trim(route_text)) AS route_text, route, local_use = '1' AS local_use
FROM seed_route_map
