"""Training (研修): the course catalogue, applications with approval and a waiting list,
course material, the 市町DX推進リーダー programme, and the completion figures."""
