-- People share an email address (one person per normalised email across rounds). Must return no rows.
SELECT email, count(*) AS people, list(person_id ORDER BY person_id) AS person_ids
FROM people
GROUP BY email
HAVING count(*) > 1
