-- Run once by the postgres image when its volume is new (docker-compose.yml):
-- Rasa's conversations get their own database, apart from the knowledge base and cases.
CREATE DATABASE gongyou_tracker;
