-- Files an update replaced or cleared before updates deleted them: their records name other files (or none), so
-- nothing ever serves them again. Only the avatar fields hold files.
DELETE FROM files f
WHERE (f.collection = 'projects' AND NOT EXISTS (
           SELECT 1 FROM projects r WHERE r.id = f.record_id AND r.avatar = f.name))
   OR (f.collection = 'deployments' AND NOT EXISTS (
           SELECT 1 FROM deployments r WHERE r.id = f.record_id AND r.avatar = f.name))
   OR (f.collection = 'blueprints' AND NOT EXISTS (
           SELECT 1 FROM blueprints r WHERE r.id = f.record_id AND r.avatar = f.name));
