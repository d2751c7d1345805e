-- Roles for docker-compose.yml, run once when the Postgres volume is new.
--
-- opsward_owner  owns the database and the schema; only `opsward migrate`
--                connects as it (CREATEROLE: the first migration makes
--                sure opsward_app exists).
-- opsward_app    owns nothing; row-level security applies to it.
-- opsward        the application's login, a member of opsward_app: the
--                server switches to that role on every connection.
--
-- The passwords are for a machine of your own; set others for anything shared.
CREATE ROLE opsward_owner LOGIN CREATEROLE PASSWORD 'opsward_owner';
CREATE ROLE opsward_app NOLOGIN;
CREATE ROLE opsward LOGIN PASSWORD 'opsward' IN ROLE opsward_app;
CREATE DATABASE opsward OWNER opsward_owner;
