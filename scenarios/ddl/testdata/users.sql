-- The users example of the seed article "region survival" (seeds/002, its
-- "Configuration Example"), statement for statement. The article's page
-- lost some characters in scraping; they are restored here, and nothing
-- else is changed:
--   * CREATE TABLE's column list has its parentheses and closing ';';
--   * the computed column's expression has its CASE and END;
--   * each INSERT … SELECT has the rest of its select list (the scrape kept
--     only the city), written here as md5(random()::text) for the names and
--     the address, as the article's generate_series rows suggest.
create table users
(
    id         uuid   not null default gen_random_uuid(),
    city       string not null,
    first_name string not null,
    last_name  string not null,
    address    string not null,
    primary key (id asc)
);

create index users_last_name_index on users (city, last_name);

insert into users (city, first_name, last_name, address)
select 'stockholm', md5(random()::text), md5(random()::text), md5(random()::text)
from generate_series(1, 100);

insert into users (city, first_name, last_name, address)
select 'dublin', md5(random()::text), md5(random()::text), md5(random()::text)
from generate_series(1, 100);

insert into users (city, first_name, last_name, address)
select 'boston', md5(random()::text), md5(random()::text), md5(random()::text)
from generate_series(1, 100);

alter database test primary region "eu-central-1";
alter database test add region "eu-west-3";
alter database test add region "us-east-2";

alter table users
    add column region crdb_internal_region as (
        case
            when city in
                 ('stockholm', 'copenhagen', 'helsinki', 'oslo', 'riga', 'tallinn') then 'eu-central-1'
            when city in
                 ('dublin', 'belfast', 'london', 'liverpool', 'manchester', 'glasgow', 'birmingham', 'leeds', 'madrid',
                  'barcelona', 'sintra', 'rome', 'milan', 'lyon', 'lisbon', 'toulouse', 'paris', 'cologne', 'seville',
                  'marseille', 'naples', 'turin', 'valencia', 'palermo') then 'eu-west-3'
            when city in
                 ('new york', 'boston', 'washington dc', 'miami', 'charlotte', 'atlanta', 'chicago', 'st louis',
                  'indianapolis', 'nashville', 'dallas', 'houston', 'san francisco', 'los angeles', 'san diego',
                  'portland', 'las vegas', 'salt lake city') then 'us-east-2'
            else 'eu-central-1'
        end
    ) stored not null;

alter table users set locality regional by row as region;

select id,city,region from users;

show ranges from table users;
