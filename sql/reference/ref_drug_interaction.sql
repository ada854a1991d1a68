-- The cited drug-drug interaction table (pipelines/reference/data/drug_interactions.csv, PROVENANCE.md;
-- targeting-rules.md section 8): one row per interaction, object and precipitant as kind + values
-- (';' separates alternatives), risk in words, severity, the conditions it names and its source.
-- requires_condition names a condition of ref_interaction_condition the member must have for the pair to
-- count (DDI01, RAS + potassium-sparing: ckd_3a_plus), '' when none.
SELECT
    interaction_id,
    object_kind,
    object,
    precipitant_kind,
    precipitant,
    risk,
    severity,
    CAST(nullif(min_age, '') AS INTEGER)   AS min_age,
    coalesce(sex, '')                       AS sex,
    coalesce(condition, '')                 AS condition,
    coalesce(requires_condition, '')        AS requires_condition,
    signal,
    source
FROM seed_drug_interactions
