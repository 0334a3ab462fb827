-- Least privilege on PostgreSQL: the application (gunicorn, cron, worker)
-- connects as a login role that can read and write rows, and nothing else:
-- no superuser, no CREATE/DROP/ALTER of tables, no roles, no databases.
-- Installs and updates (trytond-admin -u) keep running as the owner role.
--
-- Run once per database, as a superuser, after the first trytond-admin:
--
--   psql -d photo -v owner=postgres -v app_role=photo_app \
--        -v app_password="$PHOTO_APP_PASSWORD" -f config/postgresql-roles.sql
--
-- then point the application at the new role (the environment, never a file):
--
--   TRYTOND_DATABASE__URI=postgresql://photo_app:<password>@db:5432/
--
-- owner:    the role trytond-admin runs as; it owns the tables.
-- app_role: the application's role, created here.
-- tests/test_least_privilege.py runs this file and checks what the role
-- can and cannot do.

CREATE ROLE :"app_role" LOGIN PASSWORD :'app_password'
    NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- Only what trytond needs at run time: connect, use the schema, rows of
-- every table, the sequences of the ids and of ir.sequence (nextval).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I',
    current_database(), :'app_role') \gexec
GRANT USAGE ON SCHEMA public TO :"app_role";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public
    TO :"app_role";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public
    TO :"app_role";

-- Tables and sequences the owner creates later (a module activated or
-- updated) get the same grants.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app_role";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"app_role";

-- The audit log (photo_audit) is append-only for the application in the
-- database too: rows are added, never changed or removed.
SELECT format('REVOKE UPDATE, DELETE, TRUNCATE ON %I FROM %I',
    'photo_audit_entry', :'app_role')
WHERE to_regclass('photo_audit_entry') IS NOT NULL \gexec
