-- Addresses of no known person, and people whose email is not among their addresses (messages go to the latest
-- address, people.email). Erased people have none. Must return no rows.
SELECT 'address of no person' AS problem, pa.person_id, pa.email
FROM person_addresses AS pa
WHERE NOT EXISTS (SELECT 1 FROM people AS p WHERE p.person_id = pa.person_id)
UNION ALL
SELECT 'email not among the addresses', p.person_id, p.email
FROM people AS p
WHERE p.email NOT LIKE 'erased-%@erased.invalid'
  AND NOT EXISTS (SELECT 1 FROM person_addresses AS pa WHERE pa.person_id = p.person_id AND pa.email = p.email)
