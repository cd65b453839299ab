"""Django model permissions for the API, reads included."""

from rest_framework.permissions import DjangoModelPermissions

VIEW = "%(app_label)s.view_%(model_name)s"
ADD = "%(app_label)s.add_%(model_name)s"
CHANGE = "%(app_label)s.change_%(model_name)s"
DELETE = "%(app_label)s.delete_%(model_name)s"


class ModelPermissions(DjangoModelPermissions):
    """Reading needs `view_<model>` too (DRF's default map asks nothing for GET).

    Anonymous requests fail too; DRF then answers 401 (not 403) because the first
    authentication class, TokenAuthentication, names a WWW-Authenticate challenge.
    """

    perms_map = {
        "GET": [VIEW],
        "HEAD": [VIEW],
        "OPTIONS": [VIEW],
        "POST": [ADD],
        "PUT": [CHANGE],
        "PATCH": [CHANGE],
        "DELETE": [DELETE],
    }


class ChangePermission(ModelPermissions):
    """For actions that POST to change an existing row (e.g. reach-out): `change_<model>`."""

    perms_map = {**ModelPermissions.perms_map, "POST": [CHANGE]}
