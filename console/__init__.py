"""The console (`payconsole`): the CLI and the Textual app over the ledger."""

from ledger.locations import import_peewee_without_psycopg

import_peewee_without_psycopg()  # before any console module imports peewee
