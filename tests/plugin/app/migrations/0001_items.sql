CREATE TABLE owners (
    id uuid PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE items (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL REFERENCES owners (id),
    name text NOT NULL,
    quantity integer NOT NULL
);
