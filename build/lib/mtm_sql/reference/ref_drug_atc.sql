-- Every ATC code of every drug key: the drug reference's ingredient codes and the NDC map's product
-- codes (a combination product has the combination's own code).
SELECT DISTINCT drug_key, atc_code
FROM (
    SELECT drug_key, unnest(atc_code_list) AS atc_code FROM ref_drug
    UNION ALL
    SELECT drug_key, atc_code FROM ref_ndc WHERE coalesce(atc_code, '') <> ''
)
