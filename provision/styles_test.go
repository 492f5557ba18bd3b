package provision

var plainStyles Styles = Plain{}
