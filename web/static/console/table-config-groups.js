// table-config, contact groups tab: a group is the contacts that list it in their `groups`
// (what the notifier's contact-group receivers expand to), so its editor changes those
// contacts through PUT /api/contacts/{id}. Editing a group's members adds the group to the
// new members and takes it from the removed ones; an unknown contact id, or a contact with a
// Slack webhook (whose PUT would drop the webhook), is refused in the row.
(function () {
  "use strict";
  var config = window.detectvizConfig;
  var labels = config.labels;
  var table = null;
  var contactsById = {};

  function splitList(text) {
    return String(text || "").split(",").map(function (part) { return part.trim(); }).filter(Boolean);
  }

  function groupRows(contacts) {
    var groups = {};
    contacts.forEach(function (contact) {
      contact.groups.forEach(function (group) {
        groups[group] = groups[group] || { group: group, members: [], active_members: 0 };
        groups[group].members.push(contact.id);
        if (contact.active) groups[group].active_members += 1;
      });
    });
    return Object.keys(groups).sort().map(function (name) {
      var group = groups[name];
      return { group: name, members: group.members.join(", "), active_members: group.active_members,
        pending: false, saved_members: group.members, error: "", status: "" };
    });
  }

  function contactBody(contact, groups) {
    return {
      id: contact.id, name: contact.name, email: contact.email, phone: contact.phone,
      line_id: contact.line_id, groups: groups, channels: contact.channels, active: contact.active,
    };
  }

  // The contacts whose groups change, each with its new list; throws on a member that cannot be.
  function changesFor(group, before, after) {
    var changes = [];
    after.forEach(function (id) {
      if (!contactsById[id]) throw new Error(labels.unknown_contact + ": " + id);
    });
    Object.keys(contactsById).forEach(function (id) {
      var contact = contactsById[id];
      var wanted = after.indexOf(id) >= 0;
      var has = contact.groups.indexOf(group) >= 0;
      if (wanted === has) return;
      if (contact.slack_webhook_set) throw new Error(id + ": " + labels.slack_locked);
      var groups = wanted ? contact.groups.concat([group]) : contact.groups.filter(function (name) { return name !== group; });
      changes.push(contactBody(contact, groups));
    });
    return changes;
  }

  function saveGroup(cell) {
    var row = cell.getRow();
    var data = row.getData();
    var group = String(data.group || "").trim();
    if (!group) { config.markRow(row, labels.group_name_required, "group"); return; }
    var changes;
    try {
      changes = changesFor(group, data.saved_members, splitList(data.members));
    } catch (problem) {
      config.markRow(row, problem.message, "members");
      return;
    }
    var puts = changes.map(function (contact) {
      return config.request("PUT", "/api/contacts/" + encodeURIComponent(contact.id), contact).then(function (saved) {
        contactsById[saved.id] = saved;
      });
    });
    Promise.all(puts).then(function () {
      var members = splitList(data.members);
      row.update({ group: group, pending: false, saved_members: members, members: members.join(", "), status: "saved",
        active_members: members.filter(function (id) { return contactsById[id].active; }).length });
      config.markRow(row, "");
      if (window.detectvizTables) window.detectvizTables.reload();
    }, function (error) {
      config.markRow(row, error.message, "members");
    });
  }

  function load() {
    config.request("GET", "/api/contacts").then(function (contacts) {
      contactsById = {};
      contacts.forEach(function (contact) { contactsById[contact.id] = contact; });
      var pending = table.getData().filter(function (data) { return data.pending; });
      table.replaceData(groupRows(contacts).concat(pending));
    }, function (error) { detectviz.showMessage("danger", error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    table = new Tabulator("#groups-table", {
      layout: "fitDataStretch", placeholder: "—", height: "auto",
      columns: [
        { title: labels.group, field: "group", minWidth: 150, editor: "input", editorParams: config.labelled(labels.group),
          editable: function (cell) { return cell.getRow().getData().pending; }, cellEdited: function (cell) {
            if (cell.getRow().getData().members) saveGroup(cell);
          } },
        { title: labels.members, field: "members", minWidth: 260, widthGrow: 3, editor: "input",
          editorParams: config.labelled(labels.members), cellEdited: saveGroup },
        { title: labels.active_members, field: "active_members", width: 130, hozAlign: "right" },
        config.errorColumn(),
      ],
    });
    table.on("tableBuilt", load);
    config.register("groups", table, load);
    document.getElementById("add-group").addEventListener("click", function () {
      table.addRow({ group: "", members: "", active_members: 0, pending: true, saved_members: [], error: "", status: "" }, true)
        .then(function (row) { row.getCell("group").edit(); });
    });
  });
})();
