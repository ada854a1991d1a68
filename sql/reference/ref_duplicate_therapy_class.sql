-- Which drugs the duplicate_therapy signal compares (pipelines/reference/data/duplicate_therapy_classes.csv,
-- PROVENANCE.md; targeting-rules.md section 8). A drug's duplicate group is its drug reference class,
-- unless a row of its class says otherwise: the row whose atc_prefix is the longest prefix of one of the
-- product's ATC codes ('' matches every product of the class) gives the group; an empty group means
-- "not compared". So two statins are a duplicate; antiplatelets are compared only P2Y12 inhibitor with
-- P2Y12 inhibitor (aspirin + clopidogrel is dual antiplatelet therapy); basal + bolus insulin is not.
SELECT
    drug_class,
    coalesce(atc_prefix, '')       AS atc_prefix,
    coalesce(duplicate_group, '')  AS duplicate_group,
    reason,
    source
FROM seed_duplicate_therapy_classes
