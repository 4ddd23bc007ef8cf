<% ' Internet Printing: printer list page %>
