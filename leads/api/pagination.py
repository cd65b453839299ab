"""Page-number pagination for every list of the API (leads, deliveries, webhook subscriptions):
`page_size` up to 100, bad values refused."""

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from leads import counting
from leads.counting import ListPaginator


class ListPagination(PageNumberPagination):
    """`page` (from 1) and `page_size` (1-100, default 20); a non-number is a 400.

    The page and its count are one query (ListPaginator); past MAX_DEPTH rows a page is a 400
    that says to walk back with created_before, which the index serves at any depth.
    """

    django_paginator_class = ListPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        return self._positive_param(request, self.page_size_query_param, self.page_size, self.max_page_size)

    def paginate_queryset(self, queryset, request, view=None):
        deepest = ListPaginator.deepest_page(self.get_page_size(request))
        number = self._positive_param(request, self.page_query_param, 1, None)
        if number > deepest:
            raise ValidationError(
                {
                    self.page_query_param: [
                        f"Pages end {counting.MAX_DEPTH} leads deep (page {deepest} at this "
                        "page_size); use created_before to go further back."
                    ]
                }
            )
        return super().paginate_queryset(queryset, request, view)

    @staticmethod
    def _positive_param(request, name: str, default: int, maximum: int | None) -> int:
        raw = request.query_params.get(name)
        if raw in (None, ""):
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: ["Enter a whole number."]}) from None
        if value < 1:
            raise ValidationError({name: ["Ensure this value is greater than or equal to 1."]})
        if maximum is not None and value > maximum:
            raise ValidationError({name: [f"Ensure this value is less than or equal to {maximum}."]})
        return value

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "next", "previous", "results"]
        return response

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Page number from 1. Pages reach {counting.MAX_DEPTH} leads deep (page times "
                    "page_size); go further back in time with created_before."
                )
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
        return parameters
